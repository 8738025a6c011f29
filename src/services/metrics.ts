import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client'

/**
 * Every label value below comes from a fixed set or from the route table: never a token, a
 * user name or an id, so the number of series stays bounded whatever clients send.
 */
type RequestLabel = 'family' | 'route' | 'method' | 'status'
type CredentialLabel = 'family' | 'kind'

/** Refusal reasons the auth plugin and the credential kinds record (plugins/denials); any other is `other`. */
const REFUSAL_REASONS = new Set(['missing-credential', 'malformed', 'wrong-api', 'unknown', 'expired', 'revoked', 'disabled', 'invalid-or-expired', 'wrong-origin', 'rate-limited'])
/** Limits that refuse requests (plugins/limit-refusal). */
export type LimitName = 'failed-credentials' | 'request-rate' | 'under-pressure'

/**
 * How the audit trail tells the credentials a family issues and ends (TokenFamily.credentialMetrics):
 * every issue and revocation is audited, so the counters read the events.
 */
export interface CredentialMetrics {
  /** The audit events that issue a credential, and the kind they concern. */
  issued?: Readonly<Record<string, string>>
  /** The audit events that end one. */
  revoked?: Readonly<Record<string, string>>
  /** The fields of the kill switch's event (services/revoke-credentials) that count ended credentials, and their kind. */
  killSwitchCounts?: Readonly<Record<string, string>>
  /** The kind of API key the kill switch's `apiKeyRevoked` means, by the type of its object (a user's: `api-key`). */
  apiKeys?: Readonly<Record<string, string>>
  /** The kinds of stored credential one `credential.revoked` event may end. */
  storedKinds?: readonly string[]
}

/** The identity core's own: sessions and users' API keys. */
const CORE_CREDENTIAL_METRICS: CredentialMetrics = {
  issued: { 'session.issued': 'session', 'session.rescoped': 'session', 'api-key.rotated': 'api-key' },
  revoked: { 'session.revoked': 'session' },
  killSwitchCounts: { sessions: 'session' },
  storedKinds: ['session', 'api-key']
}

/** One map of each part, the identity core's and the families'. */
function mergedCredentialMetrics (families: ReadonlyArray<{ credentialMetrics?: CredentialMetrics | undefined }>) {
  const parts = [CORE_CREDENTIAL_METRICS, ...families.flatMap((family) => family.credentialMetrics ?? [])]
  const merged = (part: 'issued' | 'revoked' | 'killSwitchCounts' | 'apiKeys') => new Map(parts.flatMap((metrics) => Object.entries(metrics[part] ?? {})))
  return {
    issued: merged('issued'),
    revoked: merged('revoked'),
    killSwitchCounts: merged('killSwitchCounts'),
    apiKeys: merged('apiKeys'),
    storedKinds: new Set(parts.flatMap((metrics) => metrics.storedKinds ?? []))
  }
}

/** What the app reads when Prometheus scrapes: state kept elsewhere, asked only then. */
export interface MetricSources {
  caches: Record<string, { hits: number, misses: number, size: number }>
  /** Whether the LISTEN connection is up; absent where there is none (the embedded database). */
  listenerConnected?: (() => boolean) | undefined
  /** The LISTEN connection's last round trip in seconds (undefined before the first): the least lag a notification can have. */
  listenerRoundTrip?: (() => number | undefined) | undefined
  /** pg's pool figures; absent on the embedded database (no pool). */
  pool?: (() => { total: number, idle: number, waiting: number }) | undefined
  /** Plain reads offered to read replicas, by the server that answered; absent without DATABASE_READ_URL. */
  replicaReads?: (() => { standby: number, primary: number }) | undefined
  auditQueue (): { depth: number, dropped: number }
  usagePending (): number
}

interface RouteSeries {
  family: string
  route: string
  method: string
  byStatus: Map<number, RequestSeries>
}

/** A series counted in a plain number on the request path, and handed to prom-client at each scrape. */
interface Tally<Label extends string> {
  labels: LabelValues<Label>
  count: number
}

interface RequestSeries extends Tally<RequestLabel> {
  seconds: Histogram.Internal<RequestLabel>
}

/** The process's own figures (CPU, memory, GC, event loop), collected once per process and shown by every app in it. */
let processRegistry: Registry | undefined
function processMetrics (): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/**
 * One app's metrics, in a registry of its own (tests build many apps in one process). The
 * request path finds its series by the route's config object and the status, with no label
 * hashing; what is kept elsewhere (caches, pool, queues) is read only when Prometheus scrapes.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly #requestSeconds: Histogram<RequestLabel>
  readonly #refused: Counter<CredentialLabel | 'reason'>
  readonly #issued: Counter<CredentialLabel>
  readonly #revoked: Counter<CredentialLabel>
  readonly #limitRefusals: Counter<'limit'>
  readonly #routes = new WeakMap<object, RouteSeries>()
  /**
   * The request path's counters, as plain numbers: prom-client validates and hashes the labels
   * at every increment, even a child's. Keyed by their labels joined.
   */
  readonly #requestTallies = new Map<string, RequestSeries>()
  readonly #validatedTallies = new Map<string, Tally<CredentialLabel>>()
  readonly #credentials: ReturnType<typeof mergedCredentialMetrics>

  /** `families`: those served, whose credentials are counted. */
  constructor (sources: MetricSources, families: ReadonlyArray<{ credentialMetrics?: CredentialMetrics | undefined }>) {
    this.#credentials = mergedCredentialMetrics(families)
    const registers = [this.registry]
    const tallies = <Label extends string>(counter: Counter<Label>, from: Map<string, Tally<Label>>) => {
      counter.reset()
      for (const { labels, count } of from.values()) counter.inc(labels, count)
    }
    const requestTallies = this.#requestTallies
    const validatedTallies = this.#validatedTallies
    this.registry.registerMetric(new Counter({ name: 'tessera_http_requests_total', help: 'Requests answered, by family, route pattern, method and status', labelNames: ['family', 'route', 'method', 'status'], registers: [], collect () { tallies(this, requestTallies) } }))
    this.#requestSeconds = new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'Time from the request to its reply, by family, route pattern, method and status',
      labelNames: ['family', 'route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    })
    this.registry.registerMetric(new Counter({ name: 'tessera_credentials_validated_total', help: 'Presented credentials accepted, by family and credential kind', labelNames: ['family', 'kind'], registers: [], collect () { tallies(this, validatedTallies) } }))
    this.#refused = new Counter({ name: 'tessera_credentials_refused_total', help: 'Presented credentials refused, by family, credential kind (none: unrecognised) and reason', labelNames: ['family', 'kind', 'reason'], registers })
    this.#issued = new Counter({ name: 'tessera_credentials_issued_total', help: 'Credentials issued, by family and credential kind', labelNames: ['family', 'kind'], registers })
    this.#revoked = new Counter({ name: 'tessera_credentials_revoked_total', help: 'Credentials revoked or deleted, by family and credential kind', labelNames: ['family', 'kind'], registers })
    this.#limitRefusals = new Counter({ name: 'tessera_limit_refusals_total', help: 'Requests refused by a limit: request-rate, failed-credentials (the lock-out) or under-pressure', labelNames: ['limit'], registers })

    const caches = Object.entries(sources.caches)
    const cacheCounter = (name: string, help: string, figure: 'hits' | 'misses') => new Counter({
      name,
      help,
      labelNames: ['cache'],
      registers,
      collect () {
        this.reset()
        for (const [cache, figures] of caches) this.inc({ cache }, figures[figure])
      }
    })
    cacheCounter('tessera_cache_hits_total', 'Lookups answered from memory, per cache', 'hits')
    cacheCounter('tessera_cache_misses_total', 'Lookups that went to the database, per cache', 'misses')
    gauge('tessera_cache_entries', 'Entries held, per cache', function () {
      for (const [cache, figures] of caches) this.set({ cache }, figures.size)
    }, ['cache'])
    const { listenerConnected, listenerRoundTrip, pool } = sources
    if (listenerConnected) {
      gauge('tessera_notify_listener_connected', 'Whether the LISTEN connection for credential changes is up', function () { this.set(listenerConnected() ? 1 : 0) })
    }
    if (listenerRoundTrip) {
      gauge('tessera_notify_listener_round_trip_seconds', 'The last heartbeat\'s round trip on the LISTEN connection (each second): the least lag a credential change notification has (0 until the first)', function () {
        const seconds = listenerRoundTrip()
        if (seconds !== undefined) this.set(seconds)
      })
    }
    if (pool) {
      gauge('tessera_db_pool_in_use', 'Pooled PostgreSQL connections checked out', function () { const figures = pool(); this.set(figures.total - figures.idle) })
      gauge('tessera_db_pool_idle', 'Pooled PostgreSQL connections idle', function () { this.set(pool().idle) })
      gauge('tessera_db_pool_waiting', 'Queries waiting for a pooled connection', function () { this.set(pool().waiting) })
    }
    const { replicaReads } = sources
    if (replicaReads) {
      this.registry.registerMetric(new Counter({
        name: 'tessera_db_replica_reads_total',
        help: 'Plain reads offered to read replicas, by the server that answered (standby; primary: a standby behind, failing, finding nothing, or not trusted)',
        labelNames: ['server'],
        registers: [],
        collect () {
          this.reset()
          const figures = replicaReads()
          this.inc({ server: 'standby' }, figures.standby)
          this.inc({ server: 'primary' }, figures.primary)
        }
      }))
    }
    gauge('tessera_audit_queue_depth', 'Audit events waiting to be written', function () { this.set(sources.auditQueue().depth) })
    this.registry.registerMetric(new Counter({ name: 'tessera_audit_dropped_total', help: 'Audit events lost (queue full, row refused, database away), each counted on the trail by a denials.dropped event', registers: [], collect () { this.reset(); this.inc(sources.auditQueue().dropped) } }))
    gauge('tessera_credential_usage_pending', 'Credentials whose uses are counted in memory, not yet written', function () { this.set(sources.usagePending()) })

    function gauge (name: string, help: string, collect: (this: Gauge) => void, labelNames: string[] = []) {
      return new Gauge({ name, help, labelNames, registers, collect () { this.reset(); collect.call(this) } })
    }
  }

  /**
   * Counts a reply. `config` is the route's (its identity keys the series found before); `url`
   * its pattern, undefined for a request no route matched.
   */
  requestDone (config: object, family: string | undefined, url: string | undefined, method: string, status: number, seconds: number): void {
    let route = this.#routes.get(config)
    if (!route) {
      route = { family: family ?? 'none', route: url ?? 'unmatched', method, byStatus: new Map() }
      this.#routes.set(config, route)
    }
    // A route serving several methods (the 404 handler, a GET's HEAD twin) is found by its labels.
    const series = route.method === method ? route.byStatus.get(status) : undefined
    if (series) {
      series.count++
      series.seconds.observe(seconds)
      return
    }
    const labels = { family: route.family, route: route.route, method: boundedMethod(method), status: String(status) }
    const key = `${labels.family}\n${labels.route}\n${labels.method}\n${labels.status}`
    let found = this.#requestTallies.get(key)
    if (!found) {
      found = { labels, count: 0, seconds: this.#requestSeconds.labels(labels) }
      this.#requestTallies.set(key, found)
    }
    if (route.method === method) route.byStatus.set(status, found)
    found.count++
    found.seconds.observe(seconds)
  }

  credentialValidated (family: string | undefined, kind: string): void {
    const key = `${family}\n${kind}`
    let tally = this.#validatedTallies.get(key)
    if (!tally) {
      tally = { labels: { family: family ?? 'none', kind }, count: 0 }
      this.#validatedTallies.set(key, tally)
    }
    tally.count++
  }

  credentialRefused (family: string | undefined, kind: string | undefined, reason: string | undefined): void {
    this.#refused.inc({ family: family ?? 'none', kind: kind ?? 'none', reason: reason !== undefined && REFUSAL_REASONS.has(reason) ? reason : 'other' })
  }

  limitRefused (limit: LimitName): void {
    this.#limitRefusals.inc({ limit })
  }

  /** Counts what an audit event says was issued or revoked (every issue and revocation is audited). */
  audited (family: string | undefined, event: { kind: string, object_type?: string | null | undefined, details?: unknown }): void {
    const labels = (kind: string) => ({ family: family ?? 'none', kind })
    const { issued, revoked, killSwitchCounts, apiKeys, storedKinds } = this.#credentials
    const issuedKind = issued.get(event.kind)
    if (issuedKind !== undefined) return this.#issued.inc(labels(issuedKind))
    const revokedKind = revoked.get(event.kind)
    if (revokedKind !== undefined) return this.#revoked.inc(labels(revokedKind))
    if (event.kind === 'credential.revoked' && typeof event.object_type === 'string' && storedKinds.has(event.object_type)) return this.#revoked.inc(labels(event.object_type))
    if (event.kind === 'credentials.revoked') {
      const counts = (typeof event.details === 'string' ? JSON.parse(event.details) : event.details) as Record<string, unknown>
      for (const [field, kind] of killSwitchCounts) {
        const count = counts[field]
        if (typeof count === 'number' && count > 0) this.#revoked.inc(labels(kind), count)
      }
      if (counts.apiKeyRevoked === true) this.#revoked.inc(labels(apiKeys.get(event.object_type ?? '') ?? 'api-key'))
    }
  }

  /** The text Prometheus scrapes: this app's series and the process's. */
  async render (): Promise<{ contentType: string, text: string }> {
    const merged = Registry.merge([this.registry, processMetrics()])
    return { contentType: merged.contentType, text: await merged.metrics() }
  }
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
/** A method is the client's text: any other is one label value, not one each. */
function boundedMethod (method: string): string {
  return METHODS.has(method) ? method : 'other'
}
