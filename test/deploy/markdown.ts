import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The repository's root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** README.md, then every page of docs/, by name (paths relative to the root). */
export function documentationPages (): string[] {
  const docs = existsSync(`${ROOT}docs`) ? readdirSync(`${ROOT}docs`).filter((name) => name.endsWith('.md')).sort() : []
  return ['README.md', ...docs.map((name) => `docs/${name}`)]
}

export function readPage (page: string): string {
  return readFileSync(`${ROOT}${page}`, 'utf8')
}

export interface FencedBlock {
  page: string
  /** 1-based line of the opening fence. */
  line: number
  /** The info string after the opening fence (`sh`, `json`, or empty). */
  info: string
  body: string
  /** The line right before the opening fence. */
  before: string
  /** Whether it lies in a section whose heading is directly followed by `<!-- walkthrough -->`. */
  inWalkthrough: boolean
}

/** The fenced blocks of a page, read as .ci/walkthrough reads them. */
export function fencedBlocks (page: string, text = readPage(page)): FencedBlock[] {
  const lines = text.split('\n')
  const blocks: FencedBlock[] = []
  let open: FencedBlock | undefined
  let body: string[] = []
  let heading = 0
  let section = 0
  let inside = false
  lines.forEach((line, index) => {
    if (line.startsWith('```')) {
      if (open === undefined) {
        open = { page, line: index + 1, info: line.slice(3).trim(), body: '', before: lines[index - 1] ?? '', inWalkthrough: inside }
        body = []
      } else {
        blocks.push({ ...open, body: body.join('\n') })
        open = undefined
      }
      heading = 0
      return
    }
    if (open !== undefined) {
      body.push(line)
      return
    }
    const level = /^(#+) /.exec(line)?.[1]?.length
    if (level !== undefined) {
      if (inside && level <= section) inside = false
      heading = level
      return
    }
    if (heading > 0 && line === '<!-- walkthrough -->') {
      inside = true
      section = heading
    }
    heading = 0
  })
  return blocks
}

/** A page's text outside its fenced blocks. */
export function prose (text: string): string {
  return text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '')
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchorOf (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')
}

/** The anchors of a page's headings (a repeated one gets -1, -2, … as on GitHub). */
export function anchorsOf (text: string): Set<string> {
  const anchors = new Set<string>()
  for (const [, heading] of prose(text).matchAll(/^#+ (.+)$/gm)) {
    const anchor = anchorOf(heading!)
    let unique = anchor
    for (let n = 1; anchors.has(unique); n++) unique = `${anchor}-${n}`
    anchors.add(unique)
  }
  return anchors
}
