import type { DatabaseKind } from '../../src/db/database.js'

/**
 * CI runs the suite on PostgreSQL, then on PGlite: the full 10 000 requests go to the
 * PostgreSQL pass (two files of 5 000, on parallel workers); PGlite, single-threaded and
 * several times slower per query, gets a tenth of that, enough to catch what differs there.
 */
const DEFAULT_RUNS: Record<DatabaseKind, number> = { postgres: 5000, pglite: 500 }

export interface FuzzSettings {
  runs: number
  seed: number
  path: string | undefined
}

/** FUZZ_RUNS (per file), FUZZ_SEED and FUZZ_PATH (both printed when a run fails) override the defaults. */
export function fuzzSettings (kind: DatabaseKind): FuzzSettings {
  const runs = Number(process.env.FUZZ_RUNS ?? DEFAULT_RUNS[kind])
  const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED)
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`FUZZ_RUNS must be a positive integer (got ${process.env.FUZZ_RUNS})`)
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer (got ${process.env.FUZZ_SEED})`)
  return { runs, seed, path: process.env.FUZZ_PATH || undefined }
}
