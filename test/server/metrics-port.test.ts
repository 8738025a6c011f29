import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { freshDataDir } from '../helpers/embedded-data.js'
import { freePort, spawnServer } from './server-process.js'

let directory: string
beforeAll(async () => { directory = await mkdtemp(join(tmpdir(), 'tessera-metrics-port-')) })
afterAll(() => rm(directory, { recursive: true, force: true }))

it('serves /metrics on METRICS_PORT only, behind METRICS_TOKEN, and closes it on SIGTERM', async () => {
  const [port, metricsPort] = [await freePort(), await freePort()]
  const token = 'process-test-token-0123456789'
  const server = await spawnServer({ PORT: String(port), METRICS_PORT: String(metricsPort), METRICS_TOKEN: token, HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: await freshDataDir(directory) })
  try {
    await server.waitForOutput('metrics served on their own port', 90_000)
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401)
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    expect(scrape.status).toBe(200)
    const text = await scrape.text()
    expect(text).toContain('tessera_http_requests_total{family="none",route="/healthz",method="GET",status="200"} 1')
    expect(text).toContain('process_resident_memory_bytes')
  } finally {
    server.signal('SIGTERM')
  }
  expect(await server.exited).toEqual({ code: 0, signal: null })
  await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow()
}, 120_000)
