/**
 * Milliseconds since the epoch of a proleptic Gregorian date and time in UTC, like Date.UTC except
 * that years 0 to 99 are those years (Date.UTC reads them as 1900 to 1999). Out-of-range days and
 * hours roll over, as with Date.UTC: day 0 is the month's eve, 24:00 the next day.
 */
export function utcTime (year: number, monthIndex: number, day: number, hours = 0, minutes = 0, seconds = 0, ms = 0): number {
  const midnight = new Date(0)
  midnight.setUTCFullYear(year, monthIndex, day)
  return midnight.getTime() + ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms
}

/** The days of `month` (1 to 12) in `year`, proleptic Gregorian. */
export function daysInMonth (year: number, month: number): number {
  return new Date(utcTime(year, month, 0)).getUTCDate()
}
