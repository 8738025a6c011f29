import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from '../server/server-process.js'
import { eventually } from './eventually.js'
import { binaries, clusterOwner, privatePostgresUnavailable } from './private-postgres.js'

const run = promisify(execFile)
const PGBOUNCER = '/usr/sbin/pgbouncer'

/** Why a primary with a hot standby (and pgbouncer) cannot be started here, or undefined when they can. */
export function replicationClusterUnavailable (): string | undefined {
  return privatePostgresUnavailable() ?? (existsSync(PGBOUNCER) ? undefined : `no pgbouncer at ${PGBOUNCER} (apt-get install pgbouncer)`)
}

export interface ClusterServer {
  port: number
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  url: string
  /** One query on a connection of its own. */
  query<Row extends pg.QueryResultRow = any> (text: string, values?: unknown[]): Promise<Row[]>
  /** pg_ctl stop: `immediate` is a crash. */
  stop (mode: 'fast' | 'immediate'): Promise<void>
}

export interface ReplicationCluster {
  primary: ClusterServer
  standby: ClusterServer & {
    /** pg_ctl promote, waiting until it takes writes. */
    promote (): Promise<void>
    /** Waits until the standby has replayed everything the primary wrote so far. */
    caughtUp (): Promise<void>
  }
  /** pgbouncer in transaction mode in front of the primary. */
  pooler: { url: string }
  destroy (): Promise<void>
}

/**
 * A primary and a streaming hot standby of the test's own (initdb, pg_basebackup -R) on free
 * loopback ports in a temporary directory, the standby synchronous (an acknowledged commit is on
 * both), and pgbouncer in transaction mode before the primary. fsync off and small buffers: a
 * few seconds to create. pg_stat_statements is loaded (create the extension to read it).
 */
export async function startReplicationCluster (): Promise<ReplicationCluster> {
  const bin = binaries()
  if (bin === undefined) throw new Error(privatePostgresUnavailable())
  const owner = clusterOwner()
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {}
  const directory = await mkdtemp(join(tmpdir(), 'tessera-replication-'))
  if (owner) await chown(directory, owner.uid, owner.gid)
  const [primaryPort, standbyPort, poolerPort] = [await freePort(), await freePort(), await freePort()]
  const pooler: { process?: ChildProcess } = {}

  const server = (name: string, port: number): ClusterServer & { data: string, start (): Promise<void> } => {
    const data = join(directory, name)
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`
    const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c shared_buffers=16MB ` +
      '-c wal_level=replica -c hot_standby=on -c max_wal_senders=4 -c wal_keep_size=64MB -c max_connections=60 ' +
      // Each server counts the statements it ran: which one answered is seen from the server's side.
      '-c shared_preload_libraries=pg_stat_statements'
    const pgCtl = (...args: string[]) => run(join(bin, 'pg_ctl'), ['-D', data, ...args], { ...as, cwd: directory })
    return {
      port,
      url,
      data,
      async query (text, values) {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
        await client.connect()
        try {
          return (await client.query(text, values)).rows
        } finally {
          await client.end().catch(() => {})
        }
      },
      async start () { await pgCtl('-o', options, '-l', join(directory, `${name}.log`), '-w', '-t', '60', 'start') },
      async stop (mode) { await pgCtl('-m', mode, '-w', 'stop') }
    }
  }

  const primary = server('primary', primaryPort)
  const standby = server('standby', standbyPort)
  const destroy = async () => {
    pooler.process?.kill('SIGKILL')
    for (const each of [standby, primary]) await run(join(bin, 'pg_ctl'), ['-D', each.data, '-m', 'immediate', '-w', 'stop'], { ...as, cwd: directory }).catch(() => {})
    await rm(directory, { recursive: true, force: true })
  }
  try {
    await run(join(bin, 'initdb'), ['-D', primary.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions'], { ...as, cwd: directory })
    await primary.start()
    await run(join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standby.data, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'], { ...as, cwd: directory })
    await standby.start()
    await eventually(async () => {
      const [row] = await primary.query<{ state: string }>('select state from pg_stat_replication')
      if (row?.state !== 'streaming') throw new Error('the standby is not streaming yet')
    }, 30_000, 20)
    // Only now: a synchronous standby that is not there yet would hold every commit.
    await primary.query("alter system set synchronous_standby_names = '*'")
    await primary.query('select pg_reload_conf()')
    await eventually(async () => {
      const [row] = await primary.query<{ sync_state: string }>('select sync_state from pg_stat_replication')
      if (row?.sync_state !== 'sync') throw new Error('the standby is not synchronous yet')
    }, 30_000, 20)

    const config = join(directory, 'pgbouncer.ini')
    await writeFile(config, [
      '[databases]',
      `postgres = host=127.0.0.1 port=${primaryPort} dbname=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${poolerPort}`,
      `unix_socket_dir = ${directory}`,
      'auth_type = trust',
      `auth_file = ${join(directory, 'users.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 4',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${join(directory, 'pgbouncer.log')}`
    ].join('\n') + '\n')
    await writeFile(join(directory, 'users.txt'), '"postgres" ""\n')
    if (owner) for (const file of [config, join(directory, 'users.txt')]) await chown(file, owner.uid, owner.gid)
    pooler.process = spawn(PGBOUNCER, [config], { ...as, stdio: 'ignore' })
    const poolerUrl = `postgres://postgres@127.0.0.1:${poolerPort}/postgres`
    await eventually(async () => {
      const client = new pg.Client({ connectionString: poolerUrl, connectionTimeoutMillis: 2000 })
      await client.connect()
      await client.end()
    }, 30_000, 20)

    return {
      primary,
      standby: {
        ...standby,
        async promote () {
          await run(join(bin, 'pg_ctl'), ['-D', standby.data, '-w', 'promote'], { ...as, cwd: directory })
          await eventually(async () => {
            const [row] = await standby.query<{ standby: boolean }>('select pg_is_in_recovery() as standby')
            if (row?.standby !== false) throw new Error('still in recovery')
          }, 30_000, 20)
        },
        async caughtUp () {
          const lsn = (await primary.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn'))[0]?.lsn
          await eventually(async () => {
            const [row] = await standby.query<{ behind: boolean }>('select pg_last_wal_replay_lsn() < $1::pg_lsn as behind', [lsn])
            if (row?.behind !== false) throw new Error('the standby has not replayed it yet')
          }, 30_000, 20)
        }
      },
      pooler: { url: poolerUrl },
      destroy
    }
  } catch (error) {
    await destroy()
    throw error
  }
}
