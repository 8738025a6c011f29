import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readPage, ROOT } from '../deploy/markdown.js'

const PAGE = 'docs/architecture.md'
const text = readPage(PAGE)

/**
 * Every repository path the page names, in prose, tables and drawings alike: a token starting
 * with one of the top-level folders below, up to a space, quote, bracket or punctuation that
 * cannot be part of a path. A sentence's closing full stop is not part of it.
 */
const PATH = /(?<![\w./-])(?:src|test|migrations|bench|docs|deploy)\/[^\s`'"(),;:|[\]]*/g
/** Tokens standing for a family of paths (`src/families/<name>/`, `migrations/000N_*.sql`), not one. */
const PLACEHOLDER = /[<>*…{}$]/

const named = [...text.matchAll(PATH)].map(([token]) => token.replace(/\.+$/, ''))
const concrete = named.filter((path) => !PLACEHOLDER.test(path))

/** Every folder under src/, as `src/db/repositories` (no trailing slash). */
function foldersUnder (folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => [`${folder}/${entry.name}`, ...foldersUnder(`${folder}/${entry.name}`)])
}

describe(PAGE, () => {
  it('names paths (a page that names none checks nothing)', () => {
    expect(concrete.length).toBeGreaterThan(100)
  })

  it('names only paths that exist', () => {
    expect(concrete.filter((path) => !existsSync(join(ROOT, path)))).toEqual([])
  })

  it('names every folder of src/', () => {
    const mentioned = new Set(concrete.map((path) => path.replace(/\/$/, '')))
    expect(foldersUnder('src').filter((folder) => !mentioned.has(folder))).toEqual([])
  })
})
