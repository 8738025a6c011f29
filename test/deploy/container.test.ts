import { readFileSync } from 'node:fs'
import { posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENV_VARIABLES, loadConfig } from '../../src/config.js'
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { composeFile, ROOT } from './docker-compose.js'
import { all, copiesOf, envOf, execForm, healthPaths, parseDockerfile, type Stage } from './dockerfile.js'

const read = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8')

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
const envExample = parseEnvFile(read('.env.example'))
const exampleValues = Object.fromEntries(envExample.entries)
const exposed = all(runtime, 'EXPOSE').flatMap((args) => args.split(/\s+/)).map((port) => port.replace(/\/tcp$/, ''))

describe('Dockerfile', () => {
  it('builds in stages from node:24-bookworm-slim (the active LTS): npm ci, npm run build, then npm ci --omit=dev', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['deps', 'build', 'runtime'])
    for (const stage of stages) expect(['node:24-bookworm-slim', ...stages.map((other) => other.name)]).toContain(stage.base)
    expect(runtime.base).toBe('node:24-bookworm-slim')
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

  it('starts dist/server.js with node directly and the heap growth capped (docs/security.md, "Memory"), as npm start does after its prestart build check', () => {
    expect(all(runtime, 'CMD').map(execForm)).toEqual([['node', '--heap-growing-percent=50', 'dist/server.js']])
    expect(all(runtime, 'ENTRYPOINT')).toEqual([])
    // exec: npm's `sh -c` (dash) must become the server, or npm's relayed signals stop at the shell.
    const packageJson = JSON.parse(read('package.json'))
    expect(packageJson.scripts.start).toBe('exec node --heap-growing-percent=50 dist/server.js')
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

  it('checks its readiness with node (the slim image has no curl)', () => {
    const [healthcheck] = all(runtime, 'HEALTHCHECK')
    const command = execForm(healthcheck!.slice(healthcheck!.indexOf('CMD') + 'CMD'.length).trim())
    expect(command[0]).toBe('node')
    expect(healthPaths(command.join(' '))).toEqual(['/readyz'])
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

describe('health check paths', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t.close())

  it('are /readyz in the image and every compose service of Tessera, and it answers 200 on a migrated database', async () => {
    const [healthcheck] = all(runtime, 'HEALTHCHECK')
    const tesseraServices = Object.values(composeFile().services).filter((service) => service.image === 'tessera:local')
    expect(tesseraServices.length).toBe(2)
    const paths = new Set([...healthPaths(healthcheck!), ...tesseraServices.flatMap((service) => healthPaths(service.healthcheck!.test.join(' ')))])
    expect([...paths]).toEqual(['/readyz'])
    for (const path of paths) {
      const response = await t.app.inject({ method: 'GET', url: path })
      expect(response.statusCode, path).toBe(200)
      expect(response.json()).toEqual({ status: 'ready' })
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
