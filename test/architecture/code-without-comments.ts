/** What may precede a `/` that starts a regular expression rather than a division. */
const BEFORE_REGEX = /(?:[(,=:[!&|?{};+\-*%<>~^]|\breturn|\btypeof|\bcase|^)$/

/**
 * TypeScript source with its comments blanked (line breaks kept, so line numbers still hold).
 * Strings, template literals (with their `${…}` code) and regular expressions are kept: they are code.
 */
export function codeWithoutComments (source: string): string {
  let out = ''
  let i = 0
  const copyQuoted = (close: string): void => {
    out += source[i++]
    while (i < source.length && source[i] !== close) {
      if (source[i] === '\\') out += source[i++]
      if (close === '/' && source[i] === '[') copyQuoted(']')
      else if (close === '`' && source.startsWith('${', i)) {
        out += source.slice(i, i + 2)
        i += 2
        copyCode(true)
      } else out += source[i++]
    }
    out += source[i++] ?? ''
  }
  /** Code up to the end, or up to the `}` closing a template's `${`. */
  const copyCode = (inTemplate: boolean): void => {
    let depth = 0
    while (i < source.length) {
      const char = source[i] as string
      if (source.startsWith('//', i)) {
        while (i < source.length && source[i] !== '\n') i++
      } else if (source.startsWith('/*', i)) {
        const end = source.indexOf('*/', i + 2)
        const comment = source.slice(i, end === -1 ? source.length : end + 2)
        out += comment.replace(/[^\n]/g, '')
        i += comment.length
      } else if (char === '\'' || char === '"' || char === '`') {
        copyQuoted(char)
      } else if (char === '/' && BEFORE_REGEX.test(out.trimEnd())) {
        copyQuoted('/')
      } else {
        if (char === '{') depth++
        if (char === '}' && depth-- === 0 && inTemplate) return
        out += source[i++]
      }
    }
  }
  copyCode(false)
  return out
}
