import { readFileSync } from 'node:fs'
import { posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { ENV_VARIABLES, loadConfig } from '../../src/config.js'
import { generateSecretKey } from '../../src/core/secrets.js'
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8')

// ---- Dockerfile: instructions per stage (continuation lines joined, comments dropped) ----

interface Instruction { keyword: string, args: string }
interface Stage { name: string | undefined, base: string, workdir: string | undefined, instructions: Instruction[] }

function parseDockerfile (text: string): Stage[] {
  const stages: Stage[] = []
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim() }
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = instruction.args.split(/\s+/)
      const parent = stages.find((stage) => stage.name === base)
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, base, workdir: parent?.workdir, instructions: [] })
      continue
    }
    const stage = stages.at(-1)
    if (!stage) throw new Error(`${instruction.keyword} before FROM`)
    if (instruction.keyword === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir ?? '/', instruction.args)
    stage.instructions.push(instruction)
  }
  return stages
}

function all (stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)
}

/** `ENV A=1 B=2` (the only ENV form used). */
function envOf (stage: Stage): Record<string, string> {
  return Object.fromEntries(all(stage, 'ENV').flatMap((args) => args.split(/\s+/).map((pair) => pair.split('=') as [string, string])))
}

/** COPY [--from=X] <sources…> <destination>, with the destination made absolute. */
function copiesOf (stage: Stage): { from: string | undefined, sources: string[], destination: string }[] {
  return all(stage, 'COPY').map((args) => {
    const words = args.split(/\s+/)
    const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length)
    const paths = words.filter((word) => !word.startsWith('--'))
    return { from, sources: paths.slice(0, -1), destination: posix.resolve(stage.workdir ?? '/', paths.at(-1)!) }
  })
}

function execForm (args: string): string[] {
  const command = JSON.parse(args) as unknown
  if (!Array.isArray(command)) throw new Error(`not an exec-form command: ${args}`)
  return command as string[]
}

/** URL paths in a health check: after an origin (http://host:port/path) or opening a string ('/path'). */
function healthPaths (command: string): string[] {
  return [...command.matchAll(/(?:https?:\/\/[^/'"\s]+|')(\/[A-Za-z0-9_./-]*)/g)].map((match) => match[1]!)
}

// ---- docker-compose.yml, with ${VAR}, ${VAR:-default} and ${VAR:?error} interpolated ----

function interpolate (text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (_match, name: string, operator?: string, operand?: string) => {
    const value = variables[name]
    if (operator === '?' && !value) throw new Error(`${name}: ${operand}`)
    if (operator === '-' && !value) return operand ?? ''
    return value ?? ''
  })
}

function composeEnvironment (service: any): Record<string, string> {
  const environment = service.environment ?? {}
  if (!Array.isArray(environment)) return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]))
  return Object.fromEntries(environment.map((entry: string) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]))
}

function parseEnvFile (text: string): { entries: [string, string][], uncommented: string[] } {
  const lines = text.split('\n')
  const entries: [string, string][] = []
  const uncommented: string[] = []
  lines.forEach((line, index) => {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (!match) return
    entries.push([match[1]!, match[2]!])
    if (!lines[index - 1]?.startsWith('# ')) uncommented.push(match[1]!)
  })
  return { entries, uncommented }
}

const stages = parseDockerfile(read('Dockerfile'))
const runtime = stages.at(-1)!
const runtimeEnv = envOf(runtime)
const composeText = read('docker-compose.yml')
const compose = parseYaml(composeText)
const tessera = compose.services.tessera
const postgres = compose.services.postgres
const envExample = parseEnvFile(read('.env.example'))
const exampleValues = Object.fromEntries(envExample.entries)
const exposed = all(runtime, 'EXPOSE').flatMap((args) => args.split(/\s+/)).map((port) => port.replace(/\/tcp$/, ''))
const containerPorts = (tessera.ports as string[]).map((mapping) => String(mapping).split(':').at(-1)!.replace(/\/tcp$/, ''))

describe('Dockerfile', () => {
  it('builds in stages from node:20-bookworm-slim: npm ci, npm run build, then npm ci --omit=dev', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['deps', 'build', 'runtime'])
    for (const stage of stages) expect(['node:20-bookworm-slim', ...stages.map((other) => other.name)]).toContain(stage.base)
    expect(runtime.base).toBe('node:20-bookworm-slim')
    const runs = (stage: Stage) => all(stage, 'RUN').join('\n')
    expect(runs(stages[0]!)).toMatch(/^npm ci\b(?!.*--omit)/m)
    expect(runs(stages[1]!)).toMatch(/^npm run build$/m)
    expect(runs(runtime)).toMatch(/^npm ci --omit=dev\b/m)
  })

  it('runs the image as a non-root user', () => {
    const users = all(runtime, 'USER')
    expect(users.length).toBeGreaterThan(0)
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/)
    const keywords = runtime.instructions.map((instruction) => instruction.keyword)
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('CMD'))
  })

  it('starts dist/server.js with node directly, as npm start does after its prestart build check', () => {
    expect(all(runtime, 'CMD').map(execForm)).toEqual([['node', 'dist/server.js']])
    expect(all(runtime, 'ENTRYPOINT')).toEqual([])
    // exec: npm's `sh -c` (dash) must become the server, or npm's relayed signals stop at the shell.
    const packageJson = JSON.parse(read('package.json'))
    expect(packageJson.scripts.start).toBe('exec node dist/server.js')
  })

  it('installs without running the project\'s scripts (prepare would build, and needs TypeScript)', () => {
    const installs = stages.flatMap((stage) => all(stage, 'RUN')).filter((command) => /\bnpm (ci|install)\b/.test(command))
    expect(installs.length).toBe(2)
    for (const command of installs) expect(command).toMatch(/--ignore-scripts\b/)
  })

  it('sets HOST, PORT and NODE_ENV, and exposes PORT', () => {
    expect(runtimeEnv).toMatchObject({ HOST: '0.0.0.0', PORT: '8080', NODE_ENV: 'production' })
    expect(exposed).toEqual([runtimeEnv.PORT])
    // Whatever the image sets must be a variable Tessera reads (NODE_ENV is for npm and libraries).
    for (const name of Object.keys(runtimeEnv).filter((name) => name !== 'NODE_ENV')) expect(ENV_VARIABLES).toContain(name)
  })

  it('copies the compiled code, package.json and the migrations where dist/db/migrate.js looks for them', () => {
    const build = stages.find((stage) => stage.name === 'build')!
    const outDir = JSON.parse(read('tsconfig.build.json')).compilerOptions.outDir
    const copies = copiesOf(runtime)
    const dist = copies.find((copy) => copy.from === 'build')
    expect(dist?.sources).toEqual([posix.resolve(build.workdir!, outDir)])
    const migrations = copies.find((copy) => copy.from === undefined && copy.sources.includes('migrations'))
    expect(migrations).toBeDefined()
    // MIGRATIONS_FOLDER is resolved from the db module's folder: src/db here, dist/db in the image.
    const fromDbModule = relative(fileURLToPath(new URL('../../src/db/', import.meta.url)), MIGRATIONS_FOLDER)
    expect(posix.resolve(dist!.destination, 'db', fromDbModule)).toBe(migrations!.destination)
    // package.json carries "type": "module", without which node cannot load dist/*.js.
    expect(copies.some((copy) => copy.from === undefined && copy.sources.includes('package.json') && copy.destination === runtime.workdir)).toBe(true)
  })

  it('checks its health with node (the slim image has no curl)', () => {
    const [healthcheck] = all(runtime, 'HEALTHCHECK')
    const command = execForm(healthcheck!.slice(healthcheck!.indexOf('CMD') + 'CMD'.length).trim())
    expect(command[0]).toBe('node')
    expect(healthPaths(command.join(' '))).toEqual(['/healthz'])
  })

  it('has a .dockerignore that keeps every copied source in the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
    const patterns = ignored.map((pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}(/|$)`))
    const sources = stages.flatMap((stage) => copiesOf(stage).filter((copy) => copy.from === undefined).flatMap((copy) => copy.sources))
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'migrations']))
    for (const source of sources) expect(patterns.filter((pattern) => pattern.test(source)), source).toEqual([])
    for (const local of ['node_modules', 'dist', 'data', '.env']) expect(ignored).toContain(local)
  })
})

describe('docker-compose.yml', () => {
  const secrets = { TESSERA_SECRET_KEY: generateSecretKey(), TESSERA_ADMIN_PASSWORD: 'compose-test-password' }

  it('sets only variables Tessera reads', () => {
    const names = Object.keys(composeEnvironment(tessera))
    expect(names).toEqual(expect.arrayContaining(['DATABASE_URL', 'TESSERA_SECRET_KEY', 'TESSERA_ADMIN_PASSWORD', 'PUBLIC_URL', 'LOG_LEVEL']))
    for (const name of names) expect(ENV_VARIABLES).toContain(name)
  })

  it('interpolates only variables .env.example lists', () => {
    const referenced = [...composeText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!)
    expect(referenced.length).toBeGreaterThan(0)
    for (const name of referenced) expect(Object.keys(exampleValues)).toContain(name)
  })

  it('requires the server key and the admin password rather than shipping them', () => {
    expect(composeEnvironment(tessera).TESSERA_SECRET_KEY).toMatch(/^\$\{TESSERA_SECRET_KEY:\?.+\}$/)
    expect(composeEnvironment(tessera).TESSERA_ADMIN_PASSWORD).toMatch(/^\$\{TESSERA_ADMIN_PASSWORD:\?.+\}$/)
    expect(() => interpolate(composeText, exampleValues)).toThrow(/^TESSERA_SECRET_KEY: set TESSERA_SECRET_KEY in \.env/)
  })

  it('gives the image an environment loadConfig accepts, on the exposed port', () => {
    const service = parseYaml(interpolate(composeText, { ...exampleValues, ...secrets })).services.tessera
    const config = loadConfig({ ...runtimeEnv, ...composeEnvironment(service) })
    expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, publicUrl: 'http://localhost:8080', logLevel: 'info', secretKey: secrets.TESSERA_SECRET_KEY })
    expect(config.admin.password).toBe(secrets.TESSERA_ADMIN_PASSWORD)
    expect(containerPorts).toEqual([String(config.port)])
  })

  it("maps the Dockerfile's EXPOSE and PORT", () => {
    expect(tessera.ports).toEqual(['8080:8080'])
    expect(containerPorts).toEqual(exposed)
    expect(containerPorts).toEqual([runtimeEnv.PORT])
  })

  it('builds the Dockerfile and waits for a healthy PostgreSQL 15', () => {
    expect(tessera.build).toBe('.')
    expect(tessera.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
    expect(postgres.image).toBe('postgres:15')
    expect(postgres.healthcheck.test.join(' ')).toMatch(/pg_isready -U tessera -d tessera/)
    const [volume] = postgres.volumes as string[]
    expect(volume).toBe('pgdata:/var/lib/postgresql/data')
    expect(Object.keys(compose.volumes)).toEqual(['pgdata'])
  })

  it("points DATABASE_URL at the postgres service's database and credentials", () => {
    const url = new URL(composeEnvironment(tessera).DATABASE_URL!)
    expect(url.protocol).toBe('postgres:')
    expect(url.hostname).toBe('postgres')
    expect(url.port).toBe('5432')
    expect(decodeURIComponent(url.username)).toBe(postgres.environment.POSTGRES_USER)
    expect(decodeURIComponent(url.password)).toBe(postgres.environment.POSTGRES_PASSWORD)
    expect(url.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`)
  })

  it('checks health with node on the container port', () => {
    const command = tessera.healthcheck.test as string[]
    expect(command.slice(0, 2)).toEqual(['CMD', 'node'])
    expect(healthPaths(command.join(' '))).toEqual(['/healthz'])
    const ports = [...command.join(' ').matchAll(/https?:\/\/[^/:'"\s]+:(\d+)\//g)].map((match) => match[1])
    expect(ports).toEqual(containerPorts)
  })
})

describe('health check paths', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t.close())

  it('are routes of the app that answer 200', async () => {
    const [healthcheck] = all(runtime, 'HEALTHCHECK')
    const paths = new Set([...healthPaths(healthcheck!), ...healthPaths((tessera.healthcheck.test as string[]).join(' '))])
    expect([...paths]).toEqual(['/healthz'])
    for (const path of paths) {
      const response = await t.app.inject({ method: 'GET', url: path })
      expect(response.statusCode, path).toBe(200)
    }
  })
})

describe('.env.example', () => {
  it('lists exactly the variables of EnvSchema, in order, each with a comment', () => {
    expect(envExample.entries.map(([name]) => name)).toEqual(ENV_VARIABLES)
    expect(envExample.uncommented).toEqual([])
  })

  it('holds values loadConfig accepts, and no secrets', () => {
    expect(() => loadConfig(exampleValues)).not.toThrow()
    expect(exampleValues.TESSERA_SECRET_KEY).toBe('')
    expect(exampleValues.TESSERA_ADMIN_PASSWORD).toBe('')
  })
})
