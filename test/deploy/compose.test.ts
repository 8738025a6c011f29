import { readFileSync, statSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { ENV_VARIABLES, loadConfig } from '../../src/config.js'
import { generateSecretKey } from '../../src/core/secrets.js'
import { REQUIRE_CLIENTS } from '../helpers/real-clients.js'
import { composeConfig, composeFile, type ComposeModel, type ComposeService, composeTool, dependenciesOf, mountOf, portOf, ROOT, servicesOf, specErrors } from './docker-compose.js'
import { all, envOf, parseDockerfile } from './dockerfile.js'

const runtime = parseDockerfile(readFileSync(`${ROOT}Dockerfile`, 'utf8')).at(-1)!
const exampleNames = readFileSync(`${ROOT}.env.example`, 'utf8').split('\n').flatMap((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? [])
const secrets = { TESSERA_SECRET_KEY: generateSecretKey(), TESSERA_ADMIN_PASSWORD: 'compose-test-password' }
const PROFILES = [undefined, 'scale', 'monitoring'] as const
const raw = composeFile()

describe('docker-compose.yml as written, against the Compose Specification schema', () => {
  it('is valid as written', () => {
    expect(specErrors(raw)).toEqual([])
  })

  it('is not valid with a misspelt key (the schema is really applied)', () => {
    const misspelt = structuredClone(raw)
    Object.assign(misspelt.services.tessera!, { healthchek: misspelt.services.tessera!.healthcheck })
    expect(specErrors(misspelt)).toEqual([expect.objectContaining({ instancePath: '/services/tessera', params: { additionalProperty: 'healthchek' } })])
  })

  it('has the default services, the scale profile and the monitoring profile, none of them in another profile', () => {
    expect(servicesOf(raw)).toEqual(['postgres', 'tessera'])
    expect(servicesOf(raw, 'scale')).toEqual(['postgres', 'tessera', 'postgres-standby', 'pgbouncer', 'redis', 'tessera-replica', 'balancer'])
    expect(servicesOf(raw, 'monitoring')).toEqual(['postgres', 'tessera', 'prometheus', 'grafana'])
    expect(Object.keys(raw.services).sort()).toEqual([...new Set([...servicesOf(raw, 'scale'), ...servicesOf(raw, 'monitoring')])].sort())
  })

  it('has no service depend on one its profiles leave out (compose v2 refuses to start)', () => {
    for (const profile of PROFILES) {
      const active = servicesOf(raw, profile)
      for (const name of active) for (const dependency of dependenciesOf(raw.services[name]!)) expect(active, `${name} → ${dependency}`).toContain(dependency)
    }
  })

  it('interpolates only variables .env.example lists', () => {
    const referenced = [...readFileSync(`${ROOT}docker-compose.yml`, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!)
    expect(referenced.length).toBeGreaterThan(0)
    for (const name of referenced) expect(exampleNames).toContain(name)
  })
})

// Compose's own reading of the file: interpolated, merged and validated by docker-compose itself.
const withTool = composeTool.available || REQUIRE_CLIENTS ? describe : describe.skip
if (!composeTool.available) console.warn(`compose.test.ts: ${composeTool.reason}`)

withTool('docker-compose config', () => {
  const models = new Map<string | undefined, ComposeModel>()
  beforeAll(async () => {
    if (!composeTool.available) throw new Error(composeTool.reason)
    for (const profile of PROFILES) models.set(profile, await composeConfig(secrets, profile))
  })
  const model = (profile?: string) => models.get(profile)!
  const tesseraServices = (profile?: string): [string, ComposeService][] =>
    servicesOf(model(profile), profile).map((name) => [name, model(profile).services[name]!] as [string, ComposeService]).filter(([, service]) => service.image === 'tessera:local')

  it('accepts the default stack and each profile, and its result passes the schema too', () => {
    expect(composeTool.version).toMatch(/^\d+\.\d+/)
    for (const profile of PROFILES) expect(specErrors(model(profile)), String(profile)).toEqual([])
  })

  it('refuses to start without the server key and the admin password, saying where to set them', async () => {
    await expect(composeConfig({})).rejects.toThrow(/set TESSERA_(SECRET_KEY|ADMIN_PASSWORD) in \.env/)
    await expect(composeConfig({ TESSERA_SECRET_KEY: secrets.TESSERA_SECRET_KEY })).rejects.toThrow(/set TESSERA_ADMIN_PASSWORD in \.env \(at least 8 characters\)/)
    await expect(composeConfig({ TESSERA_ADMIN_PASSWORD: secrets.TESSERA_ADMIN_PASSWORD })).rejects.toThrow(/set TESSERA_SECRET_KEY in \.env \(generate one with openssl rand -base64 32\)/)
  })

  it('gives every Tessera container only variables Tessera reads, and an environment loadConfig accepts', () => {
    const runtimeEnv = envOf(runtime)
    expect(tesseraServices().map(([name]) => name)).toEqual(['tessera'])
    expect(tesseraServices('scale').map(([name]) => name)).toEqual(['tessera', 'tessera-replica'])
    for (const [name, service] of tesseraServices('scale')) {
      const environment = service.environment!
      for (const variable of Object.keys(environment)) expect(ENV_VARIABLES, `${name}: ${variable}`).toContain(variable)
      const config = loadConfig({ ...runtimeEnv, ...environment })
      expect(config, name).toMatchObject({ host: '0.0.0.0', port: 8080, logLevel: 'info', secretKey: secrets.TESSERA_SECRET_KEY })
      expect(config.admin.password, name).toBe(secrets.TESSERA_ADMIN_PASSWORD)
      // The primary, reached directly: the single Tessera's only URL, the replicas' LISTEN and migrations.
      const url = new URL(environment.DATABASE_DIRECT_URL ?? environment.DATABASE_URL!)
      const postgres = model('scale').services.postgres!.environment!
      expect([url.hostname, url.port, url.username, url.password, url.pathname]).toEqual(['postgres', '5432', postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD, `/${postgres.POSTGRES_DB}`])
    }
  })

  it('publishes the single Tessera on :8080, which applies the migrations, and waits for a healthy PostgreSQL 15', () => {
    const tessera = model().services.tessera!
    expect(tessera.ports!.map(portOf)).toEqual([`8080:${envOf(runtime).PORT}`])
    expect(all(runtime, 'EXPOSE')).toEqual([envOf(runtime).PORT])
    expect(tessera.environment!.MIGRATE_ON_START).toBeUndefined()
    expect(tessera.environment!.PUBLIC_URL).toBe('http://localhost:8080')
    expect(tessera.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
    const postgres = model().services.postgres!
    expect(postgres.image).toBe('postgres:15')
    expect(postgres.healthcheck!.test.join(' ')).toMatch(/pg_isready -U tessera -d tessera/)
    expect(postgres.volumes!.map(mountOf)).toEqual(['pgdata:/var/lib/postgresql/data', `${ROOT}deploy/postgres/allow-replication.sh:/docker-entrypoint-initdb.d/allow-replication.sh`])
    expect(Object.keys(model().volumes ?? {})).toEqual(['pgdata', 'pgstandby'])
  })

  it('scale: two unpublished replicas write through the pooler, read from the standby, share Redis, migrate nothing, and start once the single Tessera is ready', () => {
    const replica = model('scale').services['tessera-replica']!
    expect(replica.deploy?.replicas).toBe(2)
    expect(replica.ports).toBeUndefined()
    expect(replica.depends_on).toEqual({ tessera: { condition: 'service_healthy' }, pgbouncer: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } })
    const config = loadConfig({ ...envOf(runtime), ...replica.environment })
    expect(config).toMatchObject({ migrateOnStart: false, redisUrl: 'redis://redis:6379', publicUrl: 'http://localhost:8081' })
    expect(model('scale').services.redis!.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping'])

    // Each pooled URL names a pgbouncer database that leads to the right server, as the same user.
    const pooler = model('scale').services.pgbouncer!
    const ini = readFileSync(`${ROOT}deploy/pgbouncer/pgbouncer.ini`, 'utf8')
    const databases = Object.fromEntries([...ini.matchAll(/^(\w+) = host=(\S+) port=(\d+) dbname=(\w+)$/gm)].map((match) => [match[1], `${match[2]}:${match[3]}/${match[4]}`]))
    const postgres = model('scale').services.postgres!.environment!
    const through = (variable: 'DATABASE_URL' | 'DATABASE_READ_URL') => {
      const url = new URL(replica.environment![variable]!)
      expect([url.hostname, url.port, url.username, url.password]).toEqual(['pgbouncer', '6432', postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD])
      return databases[url.pathname.slice(1)]
    }
    expect(through('DATABASE_URL')).toBe(`postgres:5432/${postgres.POSTGRES_DB}`)
    expect(through('DATABASE_READ_URL')).toBe(`postgres-standby:5432/${postgres.POSTGRES_DB}`)
    expect(ini).toMatch(/^pool_mode = transaction$/m)
    expect(ini).toMatch(/^listen_port = 6432$/m)
    expect(readFileSync(`${ROOT}deploy/pgbouncer/userlist.txt`, 'utf8').trim()).toBe(`"${postgres.POSTGRES_USER}" "${postgres.POSTGRES_PASSWORD}"`)
    expect(pooler.volumes!.map(mountOf)).toEqual([`${ROOT}deploy/pgbouncer/pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini`, `${ROOT}deploy/pgbouncer/userlist.txt:/etc/pgbouncer/userlist.txt`])
    expect(dependenciesOf(pooler).sort()).toEqual(['postgres', 'postgres-standby'])
    expect(readFileSync(`${ROOT}deploy/pgbouncer/Dockerfile`, 'utf8')).toMatch(/apt-get install .*pgbouncer/)
  })

  it('scale: the standby copies the primary as the role the primary\'s first start creates, and waits for it to be healthy', () => {
    const standby = model('scale').services['postgres-standby']!
    const primary = model('scale').services.postgres!
    expect(standby.image).toBe(primary.image)
    expect(standby.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
    expect(standby.environment!.PGPASSWORD).toBe(primary.environment!.REPLICATION_PASSWORD)
    expect(standby.volumes!.map(mountOf)).toEqual(['pgstandby:/var/lib/postgresql/data', `${ROOT}deploy/postgres/standby.sh:/usr/local/bin/standby.sh`])
    const script = readFileSync(`${ROOT}deploy/postgres/standby.sh`, 'utf8')
    expect(script).toMatch(/pg_basebackup --host=postgres --username=replicator .*--write-recovery-conf/s)
    expect(readFileSync(`${ROOT}deploy/postgres/allow-replication.sh`, 'utf8')).toMatch(/create role replicator with replication login/)
    expect(statSync(`${ROOT}deploy/postgres/standby.sh`).mode & 0o111).not.toBe(0)
  })

  it('scale: the balancer on :8081 waits for healthy replicas and overwrites X-Forwarded-For', () => {
    const balancer = model('scale').services.balancer!
    expect(balancer.ports!.map(portOf)).toEqual(['8081:8080'])
    expect(balancer.depends_on).toEqual({ 'tessera-replica': { condition: 'service_healthy' } })
    const [source, target] = mountOf(balancer.volumes![0]!).split(':')
    expect(target).toBe('/etc/nginx/conf.d/default.conf')
    expect(source).toBe(`${ROOT}deploy/nginx-balancer.conf`)
    const nginx = readFileSync(source!, 'utf8')
    expect(nginx).toMatch(/^\s*server tessera-replica:8080;$/m)
    expect(nginx).toMatch(/^\s*listen 8080;$/m)
    // Set to the peer's address, never appended to: the replicas trust it for the limits.
    expect(nginx).toMatch(/^\s*proxy_set_header X-Forwarded-For \$remote_addr;$/m)
  })

  it('monitoring: Prometheus reads deploy/prometheus.yml and Grafana provisions the data source and deploy/grafana-dashboard.json', () => {
    const { prometheus, grafana } = model('monitoring').services
    expect(dependenciesOf(grafana!)).toEqual(['prometheus'])
    expect(prometheus!.volumes!.map(mountOf)).toEqual([`${ROOT}deploy/prometheus.yml:/etc/prometheus/prometheus.yml`])
    expect(prometheus!.ports!.map(portOf)).toEqual(['9090:9090'])
    expect(grafana!.volumes!.map(mountOf)).toEqual([
      `${ROOT}deploy/grafana/datasource.yml:/etc/grafana/provisioning/datasources/tessera.yml`,
      `${ROOT}deploy/grafana/dashboards.yml:/etc/grafana/provisioning/dashboards/tessera.yml`,
      `${ROOT}deploy/grafana-dashboard.json:/var/lib/grafana/dashboards/tessera.json`
    ])
    const datasources = parseYaml(readFileSync(`${ROOT}deploy/grafana/datasource.yml`, 'utf8')).datasources
    expect(datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true })])
    const [provider] = parseYaml(readFileSync(`${ROOT}deploy/grafana/dashboards.yml`, 'utf8')).providers
    expect(provider.options.path).toBe('/var/lib/grafana/dashboards')
  })
})
