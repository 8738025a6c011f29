import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { postgreSplitterOptions, splitQuery } from 'dbgate-query-splitter'
import { sql, type Kysely } from 'kysely'
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration'

/** migrations/ sits at the project root, two levels above both src/db and dist/db. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations/', import.meta.url))

/**
 * Plain SQL files, applied in name order, each in the migrator's transaction. Statements are
 * run one by one because PGlite's extended protocol takes a single statement per query.
 */
export class SqlFileMigrationProvider implements MigrationProvider {
  readonly #folder: string

  constructor (folder = MIGRATIONS_FOLDER) {
    this.#folder = folder
  }

  async getMigrations (): Promise<Record<string, Migration>> {
    const files = (await readdir(this.#folder)).filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file)).sort()
    const migrations: Record<string, Migration> = {}
    for (const file of files) {
      const text = await readFile(`${this.#folder}/${file}`, 'utf8')
      const statements = splitQuery(text, postgreSplitterOptions)
        .map((statement) => (typeof statement === 'string' ? statement : statement.text).trim())
        .filter((statement) => statement.replace(/--[^\n]*/g, '').trim() !== '')
      migrations[file.replace(/\.sql$/, '')] = {
        async up (db: Kysely<unknown>) {
          for (const statement of statements) await sql.raw(statement).execute(db)
        }
      }
    }
    return migrations
  }
}

export class MigrationFailed extends Error {
  constructor (migration: string | undefined, cause: unknown) {
    super(`migration ${migration ?? '(setup)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'MigrationFailed'
  }
}

function migratorFor (db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: new SqlFileMigrationProvider() })
}

/** Applies pending migrations under Kysely's advisory lock, so replicas starting together are safe. */
export async function migrateToLatest (db: Kysely<any>): Promise<string[]> {
  const { error, results }: MigrationResultSet = await migratorFor(db).migrateToLatest()
  if (error) throw new MigrationFailed(results?.find((result) => result.status === 'Error')?.migrationName, error)
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}

/** Names of the migrations applied and of those not yet applied, in order. */
export async function migrationState (db: Kysely<any>): Promise<{ applied: string[], pending: string[] }> {
  const migrations = await migratorFor(db).getMigrations()
  return {
    applied: migrations.filter((migration) => migration.executedAt !== undefined).map((migration) => migration.name),
    pending: migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name)
  }
}

/** Names of migrations not yet applied. */
export async function pendingMigrations (db: Kysely<any>): Promise<string[]> {
  return (await migrationState(db)).pending
}
