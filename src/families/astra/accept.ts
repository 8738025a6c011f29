import { TOKEN_MEDIA_TYPE } from './resource.js'

/**
 * Content negotiation for token replies (spec §B1: `Accept` absent or `*\/*` is JSON; naming the
 * resource media type echoes it), with RFC 9110 §12.5.1 weights: each of the two types takes the
 * q of the most specific range matching it (type/subtype, then type/*, then *\/*), and the token
 * type wins only when it is named and weighs at least as much as JSON. A range whose q is not a
 * qvalue is ignored. When neither is acceptable the header is disregarded (RFC 9110 allows it;
 * Astra's catalogue has no 406): JSON.
 */

const JSON_MEDIA_TYPE = 'application/json'
const QVALUE = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/

interface Range {
  type: string
  q: number
}

function rangesOf (accept: string): Range[] {
  const ranges: Range[] = []
  for (const part of accept.split(',')) {
    const [type, ...parameters] = part.split(';').map((piece) => piece.trim())
    if (!type) continue
    let q = 1
    const weight = parameters.find((parameter) => /^q\s*=/i.test(parameter))
    if (weight !== undefined) {
      const value = weight.slice(weight.indexOf('=') + 1).trim()
      if (!QVALUE.test(value)) continue
      q = Number(value)
    }
    ranges.push({ type: type.toLowerCase(), q })
  }
  return ranges
}

/** The weight of `mediaType` and whether a range names it exactly; undefined when no range matches it. */
function weightOf (ranges: Range[], mediaType: string): { q: number, named: boolean } | undefined {
  const [major] = mediaType.split('/')
  for (const [candidate, named] of [[mediaType, true], [`${major}/*`, false], ['*/*', false]] as const) {
    const matching = ranges.filter((range) => range.type === candidate)
    // Repeated ranges: the most favourable one.
    if (matching.length > 0) return { q: Math.max(...matching.map((range) => range.q)), named }
  }
  return undefined
}

/** The media type of a token reply for this Accept header. */
export function negotiatedMediaType (accept: string | undefined): string {
  if (accept === undefined || accept.trim() === '') return JSON_MEDIA_TYPE
  const ranges = rangesOf(accept)
  const token = weightOf(ranges, TOKEN_MEDIA_TYPE)
  const json = weightOf(ranges, JSON_MEDIA_TYPE)
  if (token?.named && token.q > 0 && token.q >= (json?.q ?? 0)) return TOKEN_MEDIA_TYPE
  return JSON_MEDIA_TYPE
}
