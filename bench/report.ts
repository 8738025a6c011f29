import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { sql } from 'kysely'
import type { Database } from '../src/db/database.js'
import type { LoadFigures, Paired } from './load.js'

export interface Row {
  id: string
  name: string
  figures: LoadFigures
  /** The row this one is a share of, and the share the issue aims at. */
  baseline?: string
  goal?: number
  /** Each run beside the baseline run right before it: the share is the median of their ratios. */
  paired?: Paired
}

export interface RunFacts {
  connections: number
  seconds: number
  runs: number
  warmupSeconds: number
  rssMb: number
  revocationDelaysMs: number[]
  largeTokens: number
}

const RESULTS = new URL('./results/', import.meta.url)

const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN
const round = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1))

/** The markdown table and JSON file of one `npm run bench`, and bench/results/latest.md. */
export async function writeReport (rows: Row[], facts: RunFacts, db: Database): Promise<void> {
  const postgres = (await sql<{ version: string }>`select version()`.execute(db)).rows[0]!.version
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, postgres }
  const revocation = { trials: facts.revocationDelaysMs.length, p50Ms: at(facts.revocationDelaysMs, 0.5), p99Ms: at(facts.revocationDelaysMs, 0.99), maxMs: facts.revocationDelaysMs.at(-1) ?? Number.NaN }
  const small = rows.find((row) => row.id === 'S7 1,000')
  const large = rows.find((row) => row.id.startsWith('S7 ') && row !== small)

  const lines = rows.map((row) => {
    const { requestsPerSecond: r, p50Ms, p99Ms, unexpected, errors } = row.figures
    const share = row.paired?.share
    const verdict = share === undefined || row.goal === undefined ? '' : `${share >= row.goal ? 'meets' : 'below'} ≥ ${Math.round(row.goal * 100)}%`
    return `| ${row.id} | ${row.name} | ${round(r.median)} (${round(r.min)}–${round(r.max)}) | ${row.baseline ?? ''} | ${row.paired ? round(row.paired.baselineMedian) : ''} | ${share === undefined ? '' : `${(share * 100).toFixed(1)}%`} | ${verdict} | ${p50Ms.toFixed(1)} | ${p99Ms.toFixed(1)} | ${unexpected + errors} |`
  })
  const pageRatio = small && large ? large.figures.p50Ms / small.figures.p50Ms : undefined
  const markdown = [
    `# npm run bench, ${new Date().toISOString()}`,
    '',
    `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GiB, Node ${machine.node}, ${machine.postgres.split(' on ')[0]}. ` +
      `${facts.connections} connections (baselines B2: 16 clients, B3: 2 at once), ${facts.warmupSeconds} s warm-up, ${facts.runs} runs × ${facts.seconds} s; median run (min–max). ` +
      'A scenario with a baseline alternates with it, run for run (a baseline run, then right after it a scenario run): its share is the median of the per-run ratios ' +
      '(the scenario run\'s req/s over that of the baseline run right before it), its baseline req/s the median of those paired baseline runs. ' +
      'A baseline\'s own row takes all its runs, beside every scenario, together. B1 runs take its processes in turn.',
    '',
    '| id | scenario | req/s | baseline | baseline req/s | share | goal | p50 ms | p99 ms | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...lines,
    '',
    pageRatio === undefined ? '' : `S7: the page at ${facts.largeTokens.toLocaleString('en-US')} tokens has p50 ${pageRatio.toFixed(2)}× the page at 1,000 (goal ≤ 1.25×).`,
    `Cross-replica revocation over ${revocation.trials} trials: p50 ${revocation.p50Ms.toFixed(1)} ms, p99 ${revocation.p99Ms.toFixed(1)} ms, max ${revocation.maxMs.toFixed(1)} ms (goal p99 ≤ 50 ms).`,
    `Tessera's resident memory at the end of the PostgreSQL scenarios: ${facts.rssMb.toFixed(0)} MB (goal ≤ 200 MB).`,
    ''
  ].join('\n')

  await mkdir(RESULTS, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  await writeFile(new URL(`${stamp}.json`, RESULTS), JSON.stringify({ machine, facts: { ...facts, revocationDelaysMs: undefined }, revocation, pageRatio, rows }, null, 2) + '\n')
  await writeFile(new URL(`${stamp}.md`, RESULTS), markdown)
  await writeFile(new URL('latest.md', RESULTS), markdown)
  process.stdout.write(`\n${markdown}\nwritten to bench/results/${stamp}.{md,json} and bench/results/latest.md\n`)
}
