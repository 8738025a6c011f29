import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, sql } from 'kysely'
import type { TestProject } from 'vitest/node'
import { createDb } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createEmbeddedDataTemplate } from './helpers/embedded-data.js'
import { databaseUrl, type TestDatabaseSource } from './helpers/test-database.js'
import { ROOT } from './server/server-process.js'

/** A Docker engine is worth asking testcontainers about only if one could be listening. */
function dockerMayAnswer (): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock') || existsSync(join(process.env.HOME ?? '', '.docker/run/docker.sock'))
}

async function startContainer (): Promise<{ url: string, stop: () => Promise<unknown> } | undefined> {
  if (!dockerMayAnswer()) return undefined
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const container = await new PostgreSqlContainer('postgres:15-alpine')
      .withCommand(['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'])
      .start()
    return { url: container.getConnectionUri(), stop: () => container.stop() }
  } catch (error) {
    console.warn(`testcontainers could not start PostgreSQL (${(error as Error).message}); using PGlite`)
    return undefined
  }
}

/**
 * Compiles src/ to dist/ as `npm run build` does (tsc -b: nothing to do when it is fresh; the
 * bin made executable), for the tests that start the server, the CLI or the migrations as processes.
 */
async function buildDist (): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  await promisify(execFile)(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT })
  await chmod(join(ROOT, 'dist', 'cli.js'), 0o755)
}

/**
 * Migrates a template database once; every test file clones it (PostgreSQL) or loads its dump
 * (PGlite). Beside it, an initialised embedded DATA_DIR for the processes tests start.
 */
export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const directory = await mkdtemp(join(tmpdir(), 'tessera-test-'))
  const [embeddedTemplate, database] = await Promise.all([
    createEmbeddedDataTemplate(directory),
    provideTestDatabase(project, directory),
    buildDist()
  ])
  project.provide('embeddedDataTemplate', embeddedTemplate)
  return async () => {
    await database.teardown()
    await rm(directory, { recursive: true, force: true })
  }
}

async function provideTestDatabase (project: TestProject, directory: string): Promise<{ teardown: () => Promise<void> }> {
  const container = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL ? undefined : await startContainer()
  const adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || container?.url

  if (adminUrl) {
    const template = `tessera_template_${randomBytes(6).toString('hex')}`
    const admin = createDb({ databaseUrl: adminUrl, poolMax: 1 }).db
    await sql`create database ${sql.id(template)}`.execute(admin)
    const templateDb = createDb({ databaseUrl: databaseUrl(adminUrl, template), poolMax: 1 }).db
    await migrateToLatest(templateDb)
    await templateDb.destroy()
    const source: TestDatabaseSource = { kind: 'postgres', adminUrl, template }
    project.provide('testDatabase', source)
    console.info(`tests use PostgreSQL (${container ? 'testcontainers' : 'TEST_DATABASE_URL/DATABASE_URL'})`)
    return {
      async teardown () {
        await sql`drop database if exists ${sql.id(template)} with (force)`.execute(admin)
        await admin.destroy()
        await container?.stop()
      }
    }
  }

  // Two dumps of one initialisation (PGlite's slowest step): empty, for the tests of migrations
  // themselves, and migrated, for the others.
  const pglite = new PGlite()
  await pglite.waitReady
  const dump = async (name: string) => {
    const path = join(directory, name)
    await writeFile(path, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()))
    return path
  }
  const emptyDumpPath = await dump('empty.tar')
  const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) })
  await migrateToLatest(db)
  const dumpPath = await dump('template.tar')
  await db.destroy()
  project.provide('testDatabase', { kind: 'pglite', dumpPath, emptyDumpPath } satisfies TestDatabaseSource)
  console.info('tests use PGlite (no TEST_DATABASE_URL, DATABASE_URL or Docker engine)')
  return { teardown: async () => {} }
}
