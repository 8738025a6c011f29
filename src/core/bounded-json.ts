/**
 * JSON from clients nests at most this many arrays and objects deep. JSON.parse builds any depth,
 * but what walks the value afterwards recurses (JSON.stringify overflows the stack at about
 * 10 000 levels); no API of Tessera's takes more than a few levels.
 */
export const MAX_JSON_DEPTH = 64

/** What a refusal says of over-deep JSON. */
export const TOO_DEEP_PROBLEM = `must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep`

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

/**
 * Whether JSON `text` opens more than `maxDepth` arrays and objects at once. One pass over the
 * text that skips strings, before JSON.parse builds anything; it does not validate (JSON.parse
 * does), so broken JSON may be counted as either.
 */
export function nestsDeeperThan (text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === QUOTE) {
      // To the closing quote, past escaped characters (an escaped quote among them).
      for (index++; index < text.length; index++) {
        const inString = text.charCodeAt(index)
        if (inString === BACKSLASH) index++
        else if (inString === QUOTE) break
      }
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > maxDepth) return true
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--
    }
  }
  return false
}

/** JSON text nested deeper than MAX_JSON_DEPTH. */
class JsonTooDeep extends SyntaxError {
  constructor () {
    super(`JSON ${TOO_DEEP_PROBLEM}`)
    this.name = 'JsonTooDeep'
  }
}

/** JSON.parse for text from clients: throws JsonTooDeep, before parsing, for JSON nested too deep. */
export function parseBoundedJson (text: string): unknown {
  if (nestsDeeperThan(text)) throw new JsonTooDeep()
  return JSON.parse(text)
}
