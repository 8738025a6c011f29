import { sql } from 'kysely'
import type { Database } from '../src/db/database.js'
import type { Workload } from './load.js'
import { cpuSecondsOf, type BenchProcess } from './processes.js'

/** One timed run's requests, and the CPU seconds Tessera and PostgreSQL spent on them. */
export interface CpuRun { requests: number, tessera: number, postgres: number }

/** `workload`, recording each run's CPU time of `tessera` and of the database's backends. */
export function withCpu (workload: Workload, tessera: BenchProcess, db: Database, into: CpuRun[]): Workload {
  const backends = async () => (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(db)).rows.map((row) => row.pid)
  const postgresCpu = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0)
  return {
    async run (seconds) {
      const pids = await backends()
      const tessera0 = cpuSecondsOf(tessera.pid)
      const postgres0 = postgresCpu(pids)
      const run = await workload.run(seconds)
      into.push({ requests: run.requestsPerSecond * seconds, tessera: cpuSecondsOf(tessera.pid) - tessera0, postgres: postgresCpu(pids) - postgres0 })
      return run
    }
  }
}

/** Microseconds of CPU per request over `runs`, of Tessera or of PostgreSQL. */
export function cpuMicrosPerRequest (runs: CpuRun[], of: 'tessera' | 'postgres'): number {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0)
  return Math.round(1e6 * runs.reduce((sum, run) => sum + run[of], 0) / requests)
}
