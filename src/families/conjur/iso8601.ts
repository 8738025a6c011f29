import { daysInMonth, utcTime } from '../../core/utc-time.js'

/** An ISO 8601 instant as Ruby's DateTime.iso8601 reads it, with the offset it was written in. */
export interface ParsedDateTime {
  instant: Date
  /** Minutes east of UTC as written; 0 for `Z` and for no offset (read as UTC). */
  offsetMinutes: number
}

const DATE_FORMS: Array<[RegExp, (match: RegExpExecArray) => [number, number, number] | null]> = [
  [/^(\d{4})-(\d{2})-(\d{2})$/, (m) => [Number(m[1]), Number(m[2]), Number(m[3])]],
  [/^(\d{4})(\d{2})(\d{2})$/, (m) => [Number(m[1]), Number(m[2]), Number(m[3])]],
  [/^(\d{4})-?(\d{3})$/, (m) => ordinal(Number(m[1]), Number(m[2]))],
  [/^(\d{4})-?W(\d{2})-?([1-7])$/, (m) => week(Number(m[1]), Number(m[2]), Number(m[3]))]
]

/** A time is written like its date: `hh:mm[:ss[.f]]` after an extended date, `hhmm[ss[.f]]` after a basic one; minutes are required. */
const EXTENDED_TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?$/
const BASIC_TIME = /^(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?$/
/** Ruby's `\s`, which DateTime.iso8601 allows around the text. */
const SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g
const ZONE = /(Z|[+-]\d{2}(?::?\d{2})?)$/i

function ordinal (year: number, day: number): [number, number, number] | null {
  const days = utcTime(year + 1, 0, 1) === utcTime(year, 0, 1) + 366 * 86400000 ? 366 : 365
  if (day < 1 || day > days) return null
  const date = new Date(utcTime(year, 0, day))
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]
}

function week (year: number, weekNumber: number, weekday: number): [number, number, number] | null {
  if (weekNumber < 1 || weekNumber > 53) return null
  // Week 1 holds the year's first Thursday; its Monday starts it.
  const jan4 = new Date(utcTime(year, 0, 4))
  const monday = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86400000
  const date = new Date(monday + ((weekNumber - 1) * 7 + weekday - 1) * 86400000)
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]
}

function parseZone (zone: string): number | null {
  if (zone.toUpperCase() === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  if (hours > 23 || minutes > 59) return null
  return sign * (hours * 60 + minutes)
}

/**
 * Parses the forms Conjur accepts for `expiration` (spec §A1 step 7): calendar, basic, ordinal
 * and week dates; a time to the minute or (fractional) second, in the date's format; `Z`, an offset, or none
 * (UTC); 24:00:00 rolls over to the next day. Null for anything else (a space for `T` too).
 */
export function parseIso8601 (text: string): ParsedDateTime | null {
  const [datePart, timePart, ...rest] = text.replace(SPACE, '').split(/T/i)
  if (datePart === undefined || rest.length > 0) return null
  let ymd: [number, number, number] | null = null
  for (const [pattern, read] of DATE_FORMS) {
    const match = pattern.exec(datePart)
    if (match) { ymd = read(match); break }
  }
  if (!ymd) return null
  const [year, month, day] = ymd
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  let hours = 0
  let minutes = 0
  let seconds = 0
  let millis = 0
  let offsetMinutes = 0
  if (timePart !== undefined) {
    const zone = ZONE.exec(timePart)
    const clock = zone ? timePart.slice(0, -zone[0].length) : timePart
    if (zone) {
      const parsed = parseZone(zone[0])
      if (parsed === null) return null
      offsetMinutes = parsed
    }
    const extended = datePart.includes('-')
    // A basic-format time takes its offset without a colon.
    if (!extended && zone?.[0].includes(':')) return null
    const match = (extended ? EXTENDED_TIME : BASIC_TIME).exec(clock)
    if (!match) return null
    hours = Number(match[1])
    minutes = Number(match[2] ?? 0)
    seconds = Number(match[3] ?? 0)
    millis = match[4] === undefined ? 0 : Math.floor(Number(`0.${match[4]}`) * 1000)
    const endOfDay = hours === 24 && minutes === 0 && seconds === 0 && millis === 0
    if ((hours > 23 && !endOfDay) || minutes > 59 || seconds > 59) return null
  }
  const instant = new Date(utcTime(year, month - 1, day, hours, minutes, seconds, millis) - offsetMinutes * 60000)
  if (Number.isNaN(instant.getTime())) return null
  return { instant, offsetMinutes }
}

function pad (value: number, width = 2): string {
  return String(value).padStart(width, '0')
}

/** `YYYY-MM-DDTHH:MM:SS±hh:mm` in the offset it was written in, as Ruby prints a DateTime. */
export function formatWithOffset ({ instant, offsetMinutes }: ParsedDateTime): string {
  const local = new Date(instant.getTime() + offsetMinutes * 60000)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const offset = Math.abs(offsetMinutes)
  return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`
}

/** UTC with `Z` and whole seconds, as Conjur renders a token's expiration (spec §A1). */
export function formatUtcSeconds (instant: Date): string {
  return instant.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
