/**
 * PostgreSQL text holds neither U+0000 (`invalid byte sequence for encoding "UTF8": 0x00`) nor an
 * unpaired UTF-16 surrogate (jsonb refuses `\udfff`; UTF-8 cannot encode one, so a text parameter
 * silently becomes U+FFFD). Input carrying either is refused at the edge; what the service writes
 * of its own accord (the audit trail) is made storable instead.
 */

const NUL = '\u0000'
const REPLACEMENT = '\ufffd'

/** Whether PostgreSQL can store `text` as given. */
export function isStorableText (text: string): boolean {
  return !text.includes(NUL) && text.isWellFormed()
}

/** `text` with each NUL and unpaired surrogate replaced by U+FFFD; the same string when it had none. */
export function storableText (text: string): string {
  if (isStorableText(text)) return text
  return text.toWellFormed().replaceAll(NUL, REPLACEMENT)
}

/** A step of the walk: the value, and how it was reached (a key and its parent step). */
interface Step {
  value: unknown
  key: string
  parent: Step | undefined
}

function pathOf (step: Step): string[] {
  const path: string[] = []
  for (let at: Step | undefined = step; at?.parent; at = at.parent) path.unshift(at.key)
  return path
}

/**
 * The path to the first string or object key PostgreSQL cannot store, or null; [] when `root`
 * itself is such a string. Iterative: a parsed body may nest deeper than the call stack goes.
 */
export function findUnstorableText (root: unknown): string[] | null {
  if (typeof root === 'string') return isStorableText(root) ? null : []
  if (typeof root !== 'object' || root === null) return null
  const pending: Step[] = [{ value: root, key: '', parent: undefined }]
  for (let step = pending.pop(); step; step = pending.pop()) {
    const { value } = step
    if (typeof value === 'string') {
      if (!isStorableText(value)) return pathOf(step)
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        const child = { value: (value as Record<string, unknown>)[key], key, parent: step }
        if (!isStorableText(key)) return pathOf(child)
        pending.push(child)
      }
    }
  }
  return null
}

/** What a refusal says of such text, for every dialect. */
export const UNSTORABLE_TEXT_PROBLEM = 'must not contain U+0000 or an unpaired UTF-16 surrogate'
