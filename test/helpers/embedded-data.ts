import { cp, mkdir, mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A DATA_DIR whose embedded database is initialised and empty: no table, no key file. */
    embeddedDataTemplate: string
  }
}

/** Initialises, once per run, the embedded database that freshDataDir copies. */
export async function createEmbeddedDataTemplate (directory: string): Promise<string> {
  const template = join(directory, 'embedded-template')
  await mkdir(template, { recursive: true })
  const pglite = new PGlite(join(template, 'pgdata'))
  await pglite.query('select 1')
  await pglite.close()
  return template
}

/**
 * A new DATA_DIR under `parent` for a server, CLI or migration process, as `npm start` on a fresh
 * machine would find it once PGlite has initialised it: nothing migrated, no key. Copying it
 * takes well under a second; PGlite's own initialisation, ≈ 11 s on a busy 2-core machine.
 */
export async function freshDataDir (parent: string): Promise<string> {
  const dataDir = await mkdtemp(join(parent, 'data-'))
  await cp(join(inject('embeddedDataTemplate'), 'pgdata'), join(dataDir, 'pgdata'), { recursive: true })
  return dataDir
}
