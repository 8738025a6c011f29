import autocannon from 'autocannon'

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

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  headers?: Record<string, string>
  body?: string
  expectStatus: number
  connections: number
  seconds: number
  warmupSeconds: number
  runs: number
}

function once (options: LoadOptions, seconds: number): Promise<autocannon.Result & { unexpected: number }> {
  return new Promise((resolve, reject) => {
    let unexpected = 0
    const instance = autocannon({
      url: options.url,
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      connections: options.connections,
      duration: seconds
    }, (error, result) => error ? reject(error) : resolve({ ...result, unexpected }))
    instance.on('response', (_client: unknown, statusCode: number) => { if (statusCode !== options.expectStatus) unexpected++ })
  })
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Drives one scenario over a real socket: a warm-up, then `runs` timed runs of `seconds` each. */
export async function load (options: LoadOptions): Promise<LoadFigures> {
  if (options.warmupSeconds > 0) await once(options, options.warmupSeconds)
  const results = []
  for (let run = 0; run < options.runs; run++) results.push(await once(options, options.seconds))
  const rates = results.map((result) => result.requests.average)
  const middle = results[rates.indexOf(median(rates))]!
  return {
    requestsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    p50Ms: middle.latency.p50,
    p99Ms: middle.latency.p99,
    runs: results.length,
    errors: results.reduce((sum, result) => sum + result.errors + result.timeouts, 0),
    unexpected: results.reduce((sum, result) => sum + result.unexpected, 0)
  }
}

/** Runs `operation` from `parallel` loops for `seconds`, `runs` times: operations per second. */
export async function rate (operation: () => Promise<void>, options: { parallel: number, seconds: number, warmupSeconds: number, runs: number }): Promise<LoadFigures> {
  const loop = async (seconds: number) => {
    const latencies: number[] = []
    const deadline = performance.now() + seconds * 1000
    const started = performance.now()
    await Promise.all(Array.from({ length: options.parallel }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now()
        await operation()
        latencies.push(performance.now() - begin)
      }
    }))
    latencies.sort((a, b) => a - b)
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN
    return { perSecond: latencies.length / ((performance.now() - started) / 1000), p50: at(0.5), p99: at(0.99) }
  }
  if (options.warmupSeconds > 0) await loop(options.warmupSeconds)
  const results = []
  for (let run = 0; run < options.runs; run++) results.push(await loop(options.seconds))
  const rates = results.map((result) => result.perSecond)
  const middle = results[rates.indexOf(median(rates))]!
  return {
    requestsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    p50Ms: middle.p50,
    p99Ms: middle.p99,
    runs: results.length,
    errors: 0,
    unexpected: 0
  }
}
