import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ENV_VARIABLES } from '../../src/config.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const scripts = Object.keys(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts)

describe('README.md', () => {
  it('names only npm scripts that exist', () => {
    const named = [...readme.matchAll(/npm run (?:--silent )?([a-z:-]+)/g)].map((match) => match[1])
    expect(named.length).toBeGreaterThan(5)
    expect(named.filter((script) => !scripts.includes(script!))).toEqual([])
  })

  it('shows the two quick-start commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toMatch(/^npm test\b/m)
  })

  it('has a walk-through section for each API family, which CI runs (.ci/walkthrough)', () => {
    const marked = [...readme.matchAll(/^#+ (.+)\n<!-- walkthrough -->$/gm)].map((match) => match[1])
    expect(marked).toEqual(expect.arrayContaining(['Administration API', 'Identity sessions (Keystone v2.0)', 'Agent tokens (Rackspace Cloud Monitoring v1.0)', 'CyberArk Conjur host factories', 'User API tokens (NetApp Astra Control)']))
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(/^[^#\n]*\.ci\/walkthrough$/m)
  })

  it('documents exactly the variables config.ts reads', () => {
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### The first administrator'))
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1])
    expect(documented.sort()).toEqual([...ENV_VARIABLES].sort())
  })
})
