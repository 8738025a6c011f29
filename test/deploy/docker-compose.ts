import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js'
import { parse as parseYaml } from 'yaml'

/**
 * docker-compose.yml checked by compose's own tools rather than by our reading of it:
 * - Debian's `docker-compose` (1.29) validates, interpolates and merges the file (`config` needs
 *   no Docker engine). .ci/run installs it; elsewhere the tests that need it skip with a notice.
 * - The Compose Specification's JSON schema, vendored as compose-spec.json from compose-go
 *   (github.com/compose-spec/compose-go, schema/compose-spec.json at tag v2.13.0, Apache-2.0:
 *   the copy Docker Compose v2 validates with), checked with ajv.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const COMPOSE_FILE = `${ROOT}docker-compose.yml`

const exec = promisify(execFile)

export const composeTool = (() => {
  const result = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8', timeout: 20_000 })
  return result.status === 0
    ? { available: true, version: result.stdout.trim(), reason: '' }
    : { available: false, version: '', reason: 'docker-compose is not installed (apt-get install docker-compose); the checks by compose itself are skipped' }
})()

export interface ComposeService {
  profiles?: string[]
  image?: string
  build?: unknown
  environment?: Record<string, string>
  ports?: { target: number | string, published: number | string }[]
  depends_on?: Record<string, { condition: string }> | string[]
  healthcheck?: { test: string[] }
  deploy?: { replicas?: number }
  volumes?: (string | { source: string, target: string })[]
}
export interface ComposeModel { services: Record<string, ComposeService>, volumes?: Record<string, unknown> }

// docker-compose wants a regular file: an empty one, so the developer's .env is not read.
const emptyEnvFile = join(mkdtempSync(join(tmpdir(), 'tessera-compose-')), 'empty.env')
writeFileSync(emptyEnvFile, '')

/**
 * `docker-compose config` on the file with exactly these variables: no .env of the developer's
 * and no variable of this shell is read. Resolves to the model compose would run, or rejects
 * with compose's own message.
 */
export async function composeConfig (variables: Record<string, string>, profile?: string): Promise<ComposeModel> {
  const args = ['--file', COMPOSE_FILE, '--env-file', emptyEnvFile, ...(profile ? ['--profile', profile] : []), 'config']
  try {
    const { stdout } = await exec('docker-compose', args, { cwd: ROOT, env: { PATH: process.env.PATH, ...variables }, timeout: 60_000 })
    return parseYaml(stdout) as ComposeModel
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    throw new Error(stderr?.trim() || String(error))
  }
}

/** The file as written: YAML with its merge keys (`<<: *tessera`) applied, nothing interpolated. */
export function composeFile (): ComposeModel {
  return parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeModel
}

// The schema is written for validators in general, not for ajv's strict mode (union types).
const validateSpec = new Ajv2020({ allErrors: true, strict: false })
  .compile(JSON.parse(readFileSync(new URL('compose-spec.json', import.meta.url), 'utf8')))

/** What the Compose Specification's schema finds wrong with a compose model; [] when nothing. */
export function specErrors (model: unknown): ErrorObject[] {
  return validateSpec(model) ? [] : [...(validateSpec.errors ?? [])]
}

/** A port or a mount as `published:target` / `source:target`, written short (compose 1) or long (compose 2). */
export const portOf = (port: { target: number | string, published: number | string }) => `${port.published}:${port.target}`
export const mountOf = (volume: string | { source: string, target: string }) =>
  typeof volume === 'string' ? volume.split(':').slice(0, 2).join(':') : `${volume.source}:${volume.target}`

/** The services a service waits for, from either form of depends_on. */
export const dependenciesOf = (service: ComposeService) =>
  Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {})

/** The services that run without --profile, and those a profile adds. */
export function servicesOf (model: ComposeModel, profile?: string): string[] {
  return Object.entries(model.services)
    .filter(([, service]) => service.profiles === undefined || (profile !== undefined && service.profiles.includes(profile)))
    .map(([name]) => name)
}
