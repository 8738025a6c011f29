import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { codeWithoutComments } from './code-without-comments.js'

const SRC = join(import.meta.dirname, '..', '..', 'src')

/** Generated from the migrations, and the one list a family joins. */
const EXEMPT = ['src/db/schema.ts', 'src/families/index.ts', 'src/families/cli-commands.ts']

/**
 * Wire values the identity core owns, by file and line: its default service catalog names the
 * identity service as OpenStack's clients look it up.
 */
const IDENTITY_CORE_WIRE_NAMES: ReadonlyArray<{ path: string, line: string }> = [
  { path: 'src/core/catalog.ts', line: "name: 'keystone'," }
]

/**
 * The list of stored credential kinds, read when the admin API's schemas (an enum in the OpenAPI
 * document) and the CLI's help load: it becomes the families' (TokenFamily.storedCredentials,
 * storedCredentialKinds) once those schemas are built where their routes are registered, as the
 * kill switch's are. Deleted then.
 */
const KINDS_UNTIL_THE_CLI_READS_THE_FAMILIES = ['src/core/credential-kinds.ts']

/**
 * What names a family: its folder in an import, its words (in identifiers and strings, any case
 * and separator) and its tables. A word may belong to more than one family (Rackspace's identity
 * API is Keystone's profile; its monitoring agents are agent-tokens). A file in
 * src/families/<name>/ may name only <name>.
 */
const FAMILY_WORDS: ReadonlyArray<{ word: RegExp, families: readonly string[] }> = [
  { word: /keystone/i, families: ['keystone'] },
  { word: /rackspace/i, families: ['keystone', 'agent-tokens'] },
  { word: /agent[\s_-]?tokens?/i, families: ['agent-tokens'] },
  { word: /astra/i, families: ['astra'] },
  { word: /conjur|host[\s_-]?factor(?:y|ies)/i, families: ['conjur'] }
]
const FAMILY_TABLES: Readonly<Record<string, readonly string[]>> = {
  'agent-tokens': ['agent_tokens'],
  astra: ['user_tokens'],
  conjur: ['hosts', 'layers', 'layer_hosts', 'host_factories', 'host_factory_layers', 'host_factory_permissions', 'host_factory_tokens']
}
const FAMILY_FOLDERS = readdirSync(join(SRC, 'families'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name)

/** A table as a string of its own ('hosts', 'hosts.id'), in SQL text (from hosts) or in a regular expression's alternatives. */
function tableMention (table: string): RegExp {
  return new RegExp(`['"\`]${table}[.'"\`]|\\b(?:from|join|into|update|table)\\s+${table}\\b|[(|]${table}[|)]`, 'i')
}

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** The family folder a file belongs to, if any. */
function familyOf (path: string): string | undefined {
  const match = /^src\/families\/([^/]+)\//.exec(path)
  return match?.[1]
}

function namingsIn (path: string, code: string): string[] {
  const own = familyOf(path)
  return code.split('\n').flatMap((line, index) => {
    const named = new Set([
      ...FAMILY_FOLDERS.filter((name) => line.includes(`families/${name}/`)),
      ...FAMILY_WORDS.filter(({ word }) => word.test(line)).flatMap(({ families }) => families.includes(own ?? '') ? [] : families),
      ...Object.entries(FAMILY_TABLES).filter(([, tables]) => tables.some((table) => tableMention(table).test(line))).map(([name]) => name)
    ])
    named.delete(own ?? '')
    if (IDENTITY_CORE_WIRE_NAMES.some((allowed) => allowed.path === path && allowed.line === line.trim())) return []
    return named.size > 0 ? [`${path}:${index + 1} names ${[...named].join(', ')}: ${line.trim()}`] : []
  })
}

describe('family names', () => {
  it('knows the words of every family (admin shares its word with the identity core\'s admin role)', () => {
    const named = new Set(FAMILY_WORDS.flatMap(({ families }) => families))
    expect(FAMILY_FOLDERS.filter((name) => name !== 'admin' && !named.has(name))).toEqual([])
  })

  it('no file outside src/families/<name>/ names that family', () => {
    const violations = sourceFiles(SRC)
      .map((file) => relative(join(SRC, '..'), file).split(sep).join('/'))
      .filter((path) => !EXEMPT.includes(path))
      .filter((path) => !KINDS_UNTIL_THE_CLI_READS_THE_FAMILIES.includes(path))
      .flatMap((path) => namingsIn(path, codeWithoutComments(readFileSync(join(SRC, '..', path), 'utf8'))))
    expect(violations).toEqual([])
  })
})
