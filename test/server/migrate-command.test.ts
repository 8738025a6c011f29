import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.js'
import { freshDataDir } from '../helpers/embedded-data.js'
import { spawnServer } from './server-process.js'

let directory: string
beforeAll(async () => { directory = await mkdtemp(join(tmpdir(), 'tessera-migrate-')) })
afterAll(() => rm(directory, { recursive: true, force: true }))

/** `npm run migrate` runs src/migrate.ts: runs it (compiled) and returns its exit code and output. */
async function migrate (env: Record<string, string>) {
  const run = await spawnServer(env, 'migrate')
  const { code } = await run.exited
  return { code, stdout: run.stdout().trim(), stderr: run.stderr().trim() }
}

describe('npm run migrate', () => {
  it('applies every migration to the embedded database once, then reports it up to date', async () => {
    const dataDir = await freshDataDir(directory)
    const names = (await readdir(MIGRATIONS_FOLDER)).filter((file) => file.endsWith('.sql')).map((file) => file.replace(/\.sql$/, '')).sort()
    const location = join(dataDir, 'pgdata')

    const first = await migrate({ DATA_DIR: dataDir })
    expect(first).toEqual({ code: 0, stdout: `applied ${names.join(', ')} to pglite (${location})`, stderr: '' })

    const second = await migrate({ DATA_DIR: dataDir })
    expect(second).toEqual({ code: 0, stdout: `pglite (${location}) is up to date`, stderr: '' })
  }, 120_000)

  it('refuses a bad configuration with one line naming the variable', async () => {
    const run = await migrate({ DATA_DIR: join(directory, 'unused'), DATABASE_URL: 'mysql://db/x' })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe('tessera: configuration error: DATABASE_URL must match pattern "^postgres(ql)?://"')
  }, 60_000)

  it('fails with one line, exit 1, when the database is down', async () => {
    const run = await migrate({ DATA_DIR: join(directory, 'unused'), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' })
    expect(run.code).toBe(1)
    expect(run.stderr.split('\n')).toHaveLength(1)
    expect(run.stderr).toBe('tessera: cannot reach PostgreSQL at 127.0.0.1:1 (DATABASE_URL): connection refused (is PostgreSQL running, on that port?)')
  }, 60_000)
})
