import autocannon from 'autocannon'

/** One timed run: its rate and latencies. */
export interface Run {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  /** Answers other than the expected status. */
  unexpected: number
}

/** One scenario's figures over its runs: the median run's req/s, with min and max, and latencies. */
export interface LoadFigures {
  requestsPerSecond: { median: number, min: number, max: number }
  p50Ms: number
  p99Ms: number
  runs: number
  errors: number
  /** Answers other than the expected status. */
  unexpected: number
}

/** What a bench drives, one timed run at a time. */
export interface Workload {
  run (seconds: number): Promise<Run>
}

export interface Timing {
  seconds: number
  warmupSeconds: number
  runs: number
}

export interface HttpTarget {
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  headers?: Record<string, string>
  body?: string
  expectStatus: number
  connections: number
  /** Each request's path and query, in place of the URL's (many distinct tokens, say). */
  nextPath?: () => string
}

export type LoadOptions = HttpTarget & Timing

/** A scenario run beside the baseline run right before it. */
export interface PairedRun {
  baseline: Run
  scenario: Run
}

/** A paired scenario's runs in req/s, with the two medians its row shows. */
export interface Paired {
  runs: { baselineRequestsPerSecond: number, requestsPerSecond: number, ratio: number }[]
  /** The median req/s of the baseline runs paired with this scenario's. */
  baselineMedian: number
  /** The median of the per-run ratios, scenario over baseline. */
  share: number
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Requests to `target` over real sockets, from autocannon. */
export function http (target: HttpTarget): Workload {
  return {
    run: (seconds) => new Promise((resolve, reject) => {
      let unexpected = 0
      const instance = autocannon({
        url: target.url,
        method: target.method ?? 'GET',
        headers: target.headers,
        body: target.body,
        connections: target.connections,
        duration: seconds,
        ...(target.nextPath && { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, path: target.nextPath!() }) }] })
      }, (error, result) => error
        ? reject(error)
        : resolve({ requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.timeouts, unexpected }))
      instance.on('response', (_client: unknown, statusCode: number) => { if (statusCode !== target.expectStatus) unexpected++ })
    })
  }
}

/** Each run on the next of `workloads`, in turn. */
export function inTurn (workloads: Workload[]): Workload {
  let next = 0
  return { run: (seconds) => workloads[next++ % workloads.length]!.run(seconds) }
}

/** `operation` in this process, from `parallel` loops: operations per second. */
export function operations (operation: () => Promise<void>, parallel: number): Workload {
  return {
    async run (seconds) {
      const latencies: number[] = []
      const started = performance.now()
      const deadline = started + seconds * 1000
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (performance.now() < deadline) {
          const begin = performance.now()
          await operation()
          latencies.push(performance.now() - begin)
        }
      }))
      latencies.sort((a, b) => a - b)
      const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN
      return { requestsPerSecond: latencies.length / ((performance.now() - started) / 1000), p50Ms: at(0.5), p99Ms: at(0.99), errors: 0, unexpected: 0 }
    }
  }
}

/** The median run's req/s with min and max, and the latencies of that median run. */
export function figuresOf (runs: Run[]): LoadFigures {
  const rates = runs.map((run) => run.requestsPerSecond)
  const middle = runs[rates.indexOf(median(rates))]!
  return {
    requestsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    p50Ms: middle.p50Ms,
    p99Ms: middle.p99Ms,
    runs: runs.length,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    unexpected: runs.reduce((sum, run) => sum + run.unexpected, 0)
  }
}

/** A warm-up, then `timing.runs` timed runs of `timing.seconds` each. */
export async function measure (workload: Workload, timing: Timing): Promise<LoadFigures> {
  if (timing.warmupSeconds > 0) await workload.run(timing.warmupSeconds)
  const runs = []
  for (let run = 0; run < timing.runs; run++) runs.push(await workload.run(timing.seconds))
  return figuresOf(runs)
}

/** Drives one HTTP scenario: a warm-up, then `runs` timed runs of `seconds` each. */
export function load (options: LoadOptions): Promise<LoadFigures> {
  return measure(http(options), options)
}

/**
 * The machine's speed drifts over minutes, so a scenario is measured beside its baseline run for
 * run: a warm-up of both, then per run one baseline run and right after it one scenario run.
 */
export async function measurePaired (baseline: Workload, scenario: Workload, timing: Timing): Promise<PairedRun[]> {
  if (timing.warmupSeconds > 0) {
    await baseline.run(timing.warmupSeconds)
    await scenario.run(timing.warmupSeconds)
  }
  const pairs = []
  for (let run = 0; run < timing.runs; run++) {
    const baselineRun = await baseline.run(timing.seconds)
    pairs.push({ baseline: baselineRun, scenario: await scenario.run(timing.seconds) })
  }
  return pairs
}

/** Each pair's req/s and ratio, the paired baseline's median req/s, and the median of the ratios. */
export function pairedShare (pairs: PairedRun[]): Paired {
  const runs = pairs.map(({ baseline, scenario }) => ({
    baselineRequestsPerSecond: baseline.requestsPerSecond,
    requestsPerSecond: scenario.requestsPerSecond,
    ratio: scenario.requestsPerSecond / baseline.requestsPerSecond
  }))
  return { runs, baselineMedian: median(runs.map((run) => run.baselineRequestsPerSecond)), share: median(runs.map((run) => run.ratio)) }
}
