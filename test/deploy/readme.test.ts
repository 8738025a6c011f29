import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ENV_VARIABLES } from '../../src/config.js'
import { documentationPages, readPage } from './markdown.js'

const readme = readPage('README.md')
const docs = documentationPages().map((page) => readPage(page)).join('\n')
const scripts = Object.keys(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts)

describe('README.md', () => {
  it('shows the two quick-start commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toMatch(/^npm test\b/m)
  })
})

describe('README.md and docs/', () => {
  it('name only npm scripts that exist', () => {
    const named = [...docs.matchAll(/npm run (?:--silent )?([a-z:-]+)/g)].map((match) => match[1])
    expect(named.length).toBeGreaterThan(5)
    expect(named.filter((script) => !scripts.includes(script!))).toEqual([])
  })

  it('have a walk-through section for each API family, which CI runs (.ci/walkthrough)', () => {
    const walkthrough = readPage('docs/walkthrough.md')
    const marked = [...walkthrough.matchAll(/^#+ (.+)\n<!-- walkthrough -->$/gm)].map((match) => match[1])
    expect(marked).toEqual(expect.arrayContaining(['Administration API', 'Identity sessions (Keystone v2.0)', 'Agent tokens (Rackspace Cloud Monitoring v1.0)', 'CyberArk Conjur host factories', 'User API tokens (NetApp Astra Control)']))
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(/^[^#\n]*\.ci\/walkthrough$/m)
  })

  it('document exactly the variables config.ts reads (docs/configuration.md)', () => {
    const configuration = readPage('docs/configuration.md')
    const table = configuration.slice(configuration.indexOf('## Variables'), configuration.indexOf('## The first administrator'))
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1])
    expect(documented.sort()).toEqual([...ENV_VARIABLES].sort())
  })
})
