// Scrapes GET /metrics of the server the walk-through ran against ($TESSERA_URL) and parses it
// with a Prometheus text parser: every series docs/operations.md's Metrics section names is there, the
// walk-through's traffic is counted, and no label carries a token, a name or an id.
import parsePrometheusTextFormat from 'parse-prometheus-text-format'

const response = await fetch(new URL('/metrics', process.env.TESSERA_URL))
if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`)
const text = await response.text()
const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]))

const NAMED = [
  'tessera_http_requests_total', 'tessera_http_request_duration_seconds',
  'tessera_credentials_issued_total', 'tessera_credentials_validated_total', 'tessera_credentials_refused_total', 'tessera_credentials_revoked_total',
  'tessera_cache_hits_total', 'tessera_cache_misses_total', 'tessera_cache_entries',
  'tessera_audit_queue_depth', 'tessera_audit_dropped_total', 'tessera_limit_refusals_total', 'tessera_credential_usage_pending',
  'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_gc_duration_seconds', 'nodejs_eventloop_lag_seconds'
]
const missing = NAMED.filter((name) => !families.has(name))
if (missing.length > 0) throw new Error(`/metrics lacks ${missing.join(', ')}`)
for (const name of ['tessera_http_requests_total', 'tessera_credentials_issued_total', 'tessera_credentials_validated_total']) {
  if (families.get(name).metrics.length === 0) throw new Error(`${name} counted nothing during the walk-through`)
}

// Every sample line's labels (the parser folds a histogram's away): values from fixed sets or route patterns.
const series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
for (const line of series.filter((line) => line.startsWith('tessera_'))) {
  for (const [, label, value] of line.matchAll(/(\w+)="([^"]*)"/g)) {
    const bounded = label === 'route' ? /^(\/[\w.:/{}*-]*|unmatched)$/.test(value) && !/[0-9a-f]{16}/i.test(value) : /^[\w.+-]{1,40}$/.test(value)
    if (!bounded) throw new Error(`unbounded label ${label}="${value}" in ${line}`)
  }
}
console.log(`walkthrough: /metrics parsed, ${families.size} metrics, ${series.length} series`)
