import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist', 'data', 'coverage', 'src/db/schema.ts'] }),
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'n/no-process-env': 'error'
    }
  },
  {
    // Entry points own the process: they read the environment and write to the terminal.
    files: ['src/config.ts', 'src/server.ts', 'src/migrate.ts', 'src/cli.ts', 'src/cli/**/*.ts'],
    rules: { 'n/no-process-env': 'off', 'no-console': 'off' }
  }
]
