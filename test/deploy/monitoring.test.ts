import { readFileSync } from 'node:fs'
import { parser as promql } from '@prometheus-io/lezer-promql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { composeFile, ROOT } from './docker-compose.js'
import { envOf, parseDockerfile } from './dockerfile.js'

/**
 * The series deploy/grafana-dashboard.json reads. GET /metrics must expose each (checked below
 * once the app serves /metrics); rename here and in the dashboard together.
 */
const DASHBOARD_SERIES = [
  'tessera_http_request_duration_seconds_bucket',
  'tessera_http_request_duration_seconds_count',
  'tessera_credentials_issued_total',
  'tessera_credentials_validated_total',
  'tessera_credentials_refused_total',
  'tessera_credentials_revoked_total',
  'tessera_limit_refusals_total',
  'tessera_cache_hits_total',
  'tessera_cache_misses_total',
  'tessera_db_pool_in_use',
  'tessera_db_pool_idle',
  'tessera_db_pool_waiting',
  'tessera_notify_listener_connected',
  'tessera_notify_listener_round_trip_seconds',
  'tessera_audit_queue_depth',
  'tessera_audit_dropped_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_gc_duration_seconds_sum'
]

/** Series only an app on PostgreSQL has (a connection pool, a LISTEN connection). */
const POSTGRESQL_ONLY_SERIES = ['tessera_db_pool_in_use', 'tessera_db_pool_idle', 'tessera_db_pool_waiting', 'tessera_notify_listener_connected', 'tessera_notify_listener_round_trip_seconds']

interface Target { expr: string, refId: string, legendFormat?: string }
interface Panel { id: number, type: string, title: string, gridPos: { x: number, y: number, w: number, h: number }, targets?: Target[] }

const runtimeEnv = envOf(parseDockerfile(readFileSync(`${ROOT}Dockerfile`, 'utf8')).at(-1)!)
const dashboard = JSON.parse(readFileSync(`${ROOT}deploy/grafana-dashboard.json`, 'utf8'))
const panels = dashboard.panels as Panel[]
const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, ...target })))

/** Grafana's variables replaced by what they stand for, so that the text is plain PromQL. */
const asPromql = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replace(/\$(job|instance|family)\b/g, '.*')

/** The syntax errors in a PromQL expression (their offsets), and the metric names it selects. */
function readPromql (expr: string): { errors: number[], series: string[] } {
  const errors: number[] = []
  const series = new Set<string>()
  promql.parse(expr).iterate({
    enter (node) {
      if (node.type.isError) errors.push(node.from)
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') series.add(expr.slice(node.from, node.to))
    }
  })
  return { errors, series: [...series] }
}

describe('deploy/prometheus.yml', () => {
  const config = parseYaml(readFileSync(`${ROOT}deploy/prometheus.yml`, 'utf8'))

  it('scrapes /metrics of every Tessera container of the compose stack, on the service port', () => {
    expect(config.scrape_configs.map((job: { job_name: string }) => job.job_name)).toEqual(['tessera'])
    const [job] = config.scrape_configs
    expect(job).toMatchObject({ metrics_path: '/metrics', scheme: 'http' })
    // The image's PORT; Tessera answers /metrics there unless METRICS_PORT moves it.
    expect(job.dns_sd_configs).toEqual([{ names: ['tessera', 'tessera-replica'], type: 'A', port: Number(runtimeEnv.PORT) }])
    const tesseraServices = Object.entries(composeFile().services).filter(([, service]) => service.image === 'tessera:local').map(([name]) => name)
    expect(job.dns_sd_configs[0].names).toEqual(tesseraServices)
    // The bearer token is documented, never written in: it is commented out and read from a file.
    expect(job.authorization).toBeUndefined()
  })
})

describe('deploy/grafana-dashboard.json', () => {
  it('is a Grafana dashboard with a Prometheus data source to choose and unique panel ids', () => {
    expect(dashboard).toMatchObject({ uid: 'tessera-overview', title: 'Tessera', schemaVersion: expect.any(Number) })
    expect(dashboard.templating.list.map((variable: { name: string }) => variable.name)).toEqual(['datasource', 'job', 'instance', 'family'])
    expect(dashboard.templating.list[0]).toMatchObject({ type: 'datasource', query: 'prometheus' })
    const ids = panels.map((panel) => panel.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const query of queries) expect(query.refId, query.panel).toMatch(/^[A-Z]$/)
  })

  it('lays its panels on the 24-column grid without overlaps', () => {
    const cells = new Set<string>()
    for (const { title, gridPos: { x, y, w, h } } of panels) {
      expect(x + w, title).toBeLessThanOrEqual(24)
      for (let column = x; column < x + w; column++) {
        for (let row = y; row < y + h; row++) {
          expect(cells.has(`${column},${row}`), `${title} overlaps at ${column},${row}`).toBe(false)
          cells.add(`${column},${row}`)
        }
      }
    }
  })

  it('has panels for requests by family and route, credentials, limits, caches, the pool, NOTIFY, the audit queue and the process', () => {
    expect(panels.filter((panel) => panel.type === 'timeseries').length).toBeGreaterThanOrEqual(16)
    expect(panels.filter((panel) => panel.type === 'row').map((panel) => panel.title)).toEqual(['Requests', 'Credentials', 'Caches, database and audit', 'Process'])
  })

  it('queries in valid PromQL, only the series listed above', () => {
    expect(queries.length).toBeGreaterThan(0)
    const used = new Set<string>()
    for (const query of queries) {
      const { errors, series } = readPromql(asPromql(query.expr))
      expect(errors, `${query.panel}: ${query.expr}`).toEqual([])
      expect(series.length, query.panel).toBeGreaterThan(0)
      for (const name of series) used.add(name)
    }
    expect([...used].sort()).toEqual([...DASHBOARD_SERIES].sort())
  })

  it('reads no histogram by a label that could carry a token, a user or an id', () => {
    for (const query of queries) expect(query.expr, query.panel).not.toMatch(/\b(token|user|user_id|account|id|url)\b\s*[,)=]/)
  })

  it('would fail a PromQL syntax error (the parser really checks)', () => {
    expect(readPromql('sum(rate(tessera_http_request_duration_seconds_count[5m]) by').errors).not.toEqual([])
  })
})

describe('the dashboard against GET /metrics', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t.close())

  it('finds every series it reads among the metric families the app exposes', async (context) => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics' })
    if (response.statusCode === 404) context.skip('the app serves no /metrics yet')
    expect(response.statusCode).toBe(200)
    const families = [...response.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => match[1]!)
    const exposes = (series: string) => families.some((family) => [family, `${family}_bucket`, `${family}_count`, `${family}_sum`, `${family}_total`].includes(series))
    // The embedded database has no pool and no LISTEN connection: their panels stay empty there.
    const expected = t.database.kind === 'postgres' ? DASHBOARD_SERIES : DASHBOARD_SERIES.filter((series) => !POSTGRESQL_ONLY_SERIES.includes(series))
    expect(expected.filter((series) => !exposes(series))).toEqual([])
  })
})
