import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'
import { anchorsOf, documentationPages, fencedBlocks, prose, readPage, ROOT } from './markdown.js'

/**
 * Pages another branch brings (the operator CLI's reference): links to them are checked once
 * they exist, and allowed until then.
 */
const SHELL = new Set(['sh', 'bash', 'shell', 'console'])
const pages = documentationPages()

describe('README.md and docs/', () => {
  it('has the pages the README maps', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/walkthrough.md', 'docs/configuration.md', 'docs/compatibility.md', 'docs/security.md', 'docs/operations.md', 'docs/deployment.md', 'docs/architecture.md', 'docs/benchmarks.md']))
  })

  it('runs every shell block in CI, or says which test checks it, or says it is not run', () => {
    const unaccounted: string[] = []
    const wrongChecker: string[] = []
    for (const page of pages) {
      for (const block of fencedBlocks(page)) {
        if (!SHELL.has(block.info)) continue
        const checker = /^<!-- checked by (\S+) -->$/.exec(block.before)?.[1]
        if (checker !== undefined) {
          // A test named as the checker must look the block up by this very marker.
          const exists = existsSync(join(ROOT, checker))
          if (!exists || (checker.startsWith('test/') && !readFileSync(join(ROOT, checker), 'utf8').includes(`checked by ${checker}`))) wrongChecker.push(`${page}:${block.line} (${checker})`)
          continue
        }
        const runByWalkthrough = block.info === 'sh' && (block.inWalkthrough || (page === 'README.md' && block.before === '<!-- quickstart -->'))
        if (!runByWalkthrough && block.before !== '<!-- not run -->') unaccounted.push(`${page}:${block.line}`)
      }
    }
    expect(unaccounted).toEqual([])
    expect(wrongChecker).toEqual([])
  })

  it('links only to files and headings that exist', () => {
    const broken: string[] = []
    for (const page of pages) {
      const text = readPage(page)
      for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue
        const [path, anchor] = target!.split('#') as [string, string | undefined]
        const file = path === '' ? page : normalize(join(dirname(page), path))
        if (!existsSync(join(ROOT, file))) {
          broken.push(`${page}: ${target}`)
          continue
        }
        if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(readPage(file)).has(anchor)) broken.push(`${page}: ${target}`)
      }
    }
    expect(broken).toEqual([])
  })

  it('names only paths of the repository that exist', () => {
    const missing: string[] = []
    for (const page of pages) {
      for (const [, path] of prose(readPage(page)).matchAll(/`((?:src|test|bench|deploy|migrations|docs|\.ci)\/[^`\s]*)`/g)) {
        if (/[<>*…{}$]/.test(path!)) continue
        if (!existsSync(join(ROOT, path!))) missing.push(`${page}: ${path}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('keeps the README under 200 lines, with the start and the first token on its first screen', () => {
    const lines = readPage('README.md').split('\n')
    expect(lines.length).toBeLessThan(200)
    const firstScreen = lines.slice(0, 50).join('\n')
    expect(firstScreen).toContain('npm install && npm start')
    expect(firstScreen).toMatch(/^<!-- quickstart -->\n```sh\n[^`]*\/v2\.0\/tokens/m)
  })

  it('maps every page of docs/ from the README', () => {
    const readme = readPage('README.md')
    const unmapped = pages.filter((page) => page !== 'README.md' && !readme.includes(`](${page})`))
    expect(unmapped).toEqual([])
  })
})
