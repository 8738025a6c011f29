import { utcTime } from './utc-time.js'

/**
 * HTTP-date (RFC 9110 §5.6.7), as a recipient must read it: the IMF-fixdate, and the two obsolete
 * forms, rfc850-date and asctime-date. Case-sensitive, in GMT. Date.parse is no parser for it: it
 * reads "1" as the year 2001.
 */

const DAY_NAMES = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun'
const LONG_DAY_NAMES = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday'
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH = MONTHS.join('|')
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^(?:${DAY_NAMES}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(`^(?:${LONG_DAY_NAMES}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`)
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE = new RegExp(`^(?:${DAY_NAMES}) (${MONTH}) ([ \\d]\\d) ${TIME} (\\d{4})$`)

/** How far ahead a two-digit year may read before it is taken as the century before (§5.6.7). */
const FUTURE_YEARS = 50

interface Fields {
  year: number
  month: string
  day: string
  time: [string, string, string]
}

function fieldsOf (text: string, now: Date): Fields | null {
  let match = IMF_FIXDATE.exec(text)
  if (match) return { day: match[1]!, month: match[2]!, year: Number(match[3]), time: [match[4]!, match[5]!, match[6]!] }
  match = ASCTIME_DATE.exec(text)
  if (match) return { month: match[1]!, day: match[2]!.trim(), time: [match[3]!, match[4]!, match[5]!], year: Number(match[6]) }
  match = RFC850_DATE.exec(text)
  if (!match) return null
  // The year in this century, unless that is more than 50 years ahead: then the century before.
  const century = Math.floor(now.getUTCFullYear() / 100) * 100
  let year = century + Number(match[3])
  if (year > now.getUTCFullYear() + FUTURE_YEARS) year -= 100
  return { day: match[1]!, month: match[2]!, year, time: [match[4]!, match[5]!, match[6]!] }
}

/**
 * The instant an HTTP-date names, or null when `text` is none (a recipient then ignores the
 * field). Second 60, a leap second, is the instant after second 59.
 */
export function parseHttpDate (text: string, now = new Date()): Date | null {
  const fields = fieldsOf(text, now)
  if (!fields) return null
  const month = MONTHS.indexOf(fields.month)
  const day = Number(fields.day)
  const [hours, minutes, seconds] = fields.time.map(Number) as [number, number, number]
  if (hours > 23 || minutes > 59 || seconds > 60) return null
  const midnight = new Date(utcTime(fields.year, month, day))
  // A day the month does not have (Feb 30) rolled over into the next.
  if (day < 1 || midnight.getUTCDate() !== day) return null
  return new Date(utcTime(fields.year, month, day, hours, minutes, seconds))
}
