import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { buildApp, type App } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createDb, type Database, type DatabaseKind } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'

/** Shared by the benchmarks: a throwaway database of either kind, migrated, with an app on it. */

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A database of its own on the bench server, migrated. */
export async function benchDatabase (): Promise<{ url: string, db: Database, drop: () => Promise<void> }> {
  const name = `tessera_bench_${randomBytes(4).toString('hex')}`
  const admin = createDb({ databaseUrl: BENCH_DATABASE_URL, poolMax: 1 }).db
  await sql`create database ${sql.id(name)}`.execute(admin)
  const url = new URL(BENCH_DATABASE_URL)
  url.pathname = `/${name}`
  const db = createDb({ databaseUrl: url.toString(), poolMax: 4 }).db
  await migrateToLatest(db)
  return {
    url: url.toString(),
    db,
    async drop () {
      await db.destroy()
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
      await admin.destroy()
    }
  }
}

export interface BenchDatabase {
  kind: DatabaseKind
  db: Database
  app: App
  close (): Promise<void>
}

/** A new PostgreSQL database on the bench server, dropped by the returned function. */
async function createServerDatabase (): Promise<{ db: Database, drop: () => Promise<void> }> {
  const name = `tessera_bench_${randomBytes(4).toString('hex')}`
  const admin = createDb({ databaseUrl: BENCH_DATABASE_URL, poolMax: 1 }).db
  await sql`create database ${sql.id(name)}`.execute(admin)
  const url = new URL(BENCH_DATABASE_URL)
  url.pathname = `/${name}`
  return {
    db: createDb({ databaseUrl: url.toString(), poolMax: 10 }).db,
    async drop () {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
      await admin.destroy()
    }
  }
}

/** An embedded database in a temporary DATA_DIR, removed by the returned function. */
async function createEmbeddedDatabase (): Promise<{ db: Database, drop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-bench-'))
  return { db: createDb({ dataDir }).db, drop: () => rm(dataDir, { recursive: true, force: true }) }
}

export async function openBenchDatabase (kind: DatabaseKind, env: Record<string, string> = {}): Promise<BenchDatabase> {
  const config = loadConfig({ TESSERA_SECRET_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent', ...env })
  const { db, drop } = kind === 'postgres' ? await createServerDatabase() : await createEmbeddedDatabase()
  await migrateToLatest(db)
  const app = await buildApp({ config, db })
  await app.ready()
  return {
    kind,
    db,
    app,
    async close () {
      await app.close()
      await db.destroy()
      await drop()
    }
  }
}

export interface Rate {
  operations: number
  seconds: number
  perSecond: number
  p50Ms: number
  p95Ms: number
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

/** Runs `operation` from `concurrency` loops for `durationMs`; `operation(i)` gets a running index. */
export async function measureRate (operation: (index: number) => Promise<void>, options: { concurrency: number, durationMs: number }): Promise<Rate> {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  const deadline = started + options.durationMs
  await Promise.all(Array.from({ length: options.concurrency }, async () => {
    while (performance.now() < deadline) {
      const begin = performance.now()
      await operation(next++)
      latencies.push(performance.now() - begin)
    }
  }))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return { operations: latencies.length, seconds, perSecond: latencies.length / seconds, p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95) }
}

/** Times `operation` `iterations` times, one at a time, after `warmup` untimed runs. */
export async function measureLatency (operation: () => Promise<void>, options: { iterations: number, warmup?: number }): Promise<{ p50Ms: number, p95Ms: number, meanMs: number }> {
  for (let i = 0; i < (options.warmup ?? 20); i++) await operation()
  const latencies: number[] = []
  for (let i = 0; i < options.iterations; i++) {
    const begin = performance.now()
    await operation()
    latencies.push(performance.now() - begin)
  }
  latencies.sort((a, b) => a - b)
  return { p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95), meanMs: latencies.reduce((sum, value) => sum + value, 0) / latencies.length }
}

export function printTable (title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((row) => row.map((cell) => typeof cell === 'number' ? cell.toFixed(cell >= 100 ? 0 : 2) : cell))]
  const widths = header.map((_, column) => Math.max(...cells.map((row) => String(row[column]).length)))
  const line = (row: (string | number)[]) => row.map((cell, column) => String(cell).padEnd(widths[column]!)).join('  ')
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${cells.slice(1).map(line).join('\n')}\n`)
}
