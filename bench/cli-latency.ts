import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { printTable } from './lib.js'
import { startTessera } from './processes.js'

/**
 * `npm run bench -- cli-latency`: each CLI command in remote mode, as an operator runs it: a new
 * `node dist/cli.js` process (start-up included) against a running server on the embedded
 * database, logged in with `tessera login`. The aim (issue 22): every command under 1 s.
 */

const run = promisify(execFile)
const RUNS = Number(process.env.CLI_BENCH_RUNS ?? 3)
const PASSWORD = 'bench admin password 0123'

const directory = await mkdtemp(join(tmpdir(), 'tessera-cli-bench-'))
const server = await startTessera({ DATA_DIR: join(directory, 'data'), TESSERA_ADMIN_PASSWORD: PASSWORD, TESSERA_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') })
const env = { PATH: process.env.PATH ?? '', HOME: directory, XDG_CONFIG_HOME: join(directory, 'config'), TESSERA_URL: server.url }

async function cli (args: string[], input = ''): Promise<{ ms: number, code: number }> {
  const started = performance.now()
  const child = run(process.execPath, ['dist/cli.js', ...args], { env })
  child.child.stdin!.end(input)
  const code = await child.then(() => 0, (error: { code?: number }) => error.code ?? 1)
  return { ms: performance.now() - started, code }
}

try {
  await cli(['login', '--user', 'admin', '--account', 'admin', '--password-stdin'], `${PASSWORD}\n`)
  const tag = Date.now().toString(36)
  await cli(['accounts', 'create', `acme-${tag}`, '--id', `acme-${tag}`])
  await cli(['users', 'create', `acme-${tag}`, `alice-${tag}`, '--role', 'admin'])
  await cli(['host-factories', 'create', `acme-${tag}`, 'hf-db', '--layer', 'db'])
  const exportFile = join(directory, 'export.jsonl')
  await writeFile(exportFile, '')
  const user = `alice-${tag}`
  const account = `acme-${tag}`
  const role = `${account}:user:${user}`
  const commands: Array<[string, (i: number) => string[], string?]> = [
    ['accounts create', (i) => ['accounts', 'create', `new-${tag}-${i}`]],
    ['accounts list', () => ['accounts', 'list']],
    ['accounts disable', () => ['accounts', 'disable', account]],
    ['accounts enable', () => ['accounts', 'enable', account]],
    ['users create', (i) => ['users', 'create', account, `bob-${tag}-${i}`]],
    ['users list', () => ['users', 'list']],
    ['users disable', () => ['users', 'disable', user]],
    ['users enable', () => ['users', 'enable', user]],
    ['users set-password', () => ['users', 'set-password', user], 'a new long password\n'],
    ['users rotate-api-key', () => ['users', 'rotate-api-key', user]],
    ['users revoke-credentials', () => ['users', 'revoke-credentials', user, '--dry-run']],
    ['roles grant', () => ['roles', 'grant', user, account, 'member']],
    ['roles revoke', () => ['roles', 'revoke', user, account, 'member']],
    ['host-factories create', (i) => ['host-factories', 'create', account, `hf-${i}`]],
    ['host-factories list', () => ['host-factories', 'list', account]],
    ['host-factories show', () => ['host-factories', 'show', account, 'hf-db']],
    ['host-factories grant', () => ['host-factories', 'grant', account, 'hf-db', role, 'execute']],
    ['host-factories revoke', () => ['host-factories', 'revoke', account, 'hf-db', role, 'execute']],
    ['host-factories delete', (i) => ['host-factories', 'delete', account, `hf-${i}`]],
    ['hosts revoke-credentials (404)', () => ['hosts', 'revoke-credentials', account, 'no-host', '--dry-run']],
    ['astra-tokens list', () => ['astra-tokens', 'list', user]],
    ['astra-tokens revoke (404)', () => ['astra-tokens', 'revoke', user, 'no-token']],
    ['audit-events list', () => ['audit-events', 'list', account]],
    ['credentials report', () => ['credentials', 'report', account]],
    ['retention purge --dry-run', () => ['retention', 'purge', '--dry-run']],
    ['export', () => ['export', '--output', exportFile]],
    ['import --dry-run', () => ['import', exportFile, '--dry-run']]
  ]
  const rows: (string | number)[][] = []
  for (const [name, argv, input] of commands) {
    const times: number[] = []
    const codes = new Set<number>()
    for (let i = 0; i < RUNS; i++) {
      const { ms, code } = await cli([...argv(i), '--json'], input)
      times.push(ms)
      codes.add(code)
    }
    times.sort((a, b) => a - b)
    rows.push([name, times[Math.floor(times.length / 2)]!, times.at(-1)!, [...codes].join(',')])
  }
  const node = await cli(['--help'])
  rows.push(['(--help: node start-up, no request)', node.ms, node.ms, node.code])
  printTable(`tessera CLI through a running server (embedded database), ${RUNS} runs each, ms per process`, ['command', 'p50 ms', 'max ms', 'exit'], rows)
  const slowest = Math.max(...rows.map((row) => row[2] as number))
  process.stdout.write(`\nslowest: ${slowest.toFixed(0)} ms (aim: under 1000 ms)\n`)
  await cli(['logout'])
} finally {
  await server.stop()
  await rm(directory, { recursive: true, force: true })
}
