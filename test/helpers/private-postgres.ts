import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The newest PostgreSQL server binaries installed the Debian way, if any. */
export function binaries (): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).filter((version) => existsSync(join(root, version, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

/** initdb refuses root: as root, the cluster belongs to the `postgres` user. */
export function clusterOwner (): { uid: number, gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'))
  if (line === undefined) return undefined
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/** Why a private PostgreSQL cannot be started here, or undefined when it can. */
export function privatePostgresUnavailable (): string | undefined {
  if (binaries() === undefined) return 'no PostgreSQL server binaries under /usr/lib/postgresql'
  if (process.getuid?.() === 0 && clusterOwner() === undefined) return 'running as root with no postgres user to own the cluster'
  return undefined
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  url: string
  /** pg_ctl stop: `fast` rolls back and disconnects the sessions; `immediate` is a crash, recovered at the next start. */
  stop (mode: 'fast' | 'immediate'): Promise<void>
  start (): Promise<void>
  /** Stops it (immediately) and deletes its files. */
  destroy (): Promise<void>
}

/**
 * A PostgreSQL server of the test's own, on a free port in a temporary directory: for tests that
 * stop and start the server, which the shared one must never be. A few seconds to create.
 */
export async function startPrivatePostgres (port: number): Promise<PrivatePostgres> {
  const bin = binaries()
  if (bin === undefined) throw new Error(privatePostgresUnavailable())
  const owner = clusterOwner()
  const directory = await mkdtemp(join(tmpdir(), 'tessera-pg-'))
  if (owner) await chown(directory, owner.uid, owner.gid)
  const data = join(directory, 'data')
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {}
  const pgCtl = (...args: string[]) => run(join(bin, 'pg_ctl'), ['-D', data, ...args], { ...as, cwd: directory })

  await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions'], { ...as, cwd: directory })
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
  const start = async () => { await pgCtl('-o', options, '-l', join(directory, 'log'), '-w', '-t', '60', 'start') }
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop (mode) { await pgCtl('-m', mode, '-w', 'stop') },
    start,
    async destroy () {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => {})
      await rm(directory, { recursive: true, force: true })
    }
  }
}
