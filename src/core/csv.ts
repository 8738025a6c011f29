import { stringify } from 'csv-stringify/sync'

export type CsvCell = string | number | null

/**
 * RFC 4180 text: the header, then one record per row, each ended by CRLF; a field is quoted when
 * it holds a comma, a quote or a line break, and its quotes doubled. A field starting with =, +,
 * -, @, a tab or a CR (or their full-width forms) gets a leading `'`, so that a spreadsheet shows
 * it rather than running it as a formula (CSV injection). null is an empty field.
 */
export function toCsv (header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  // quote_record_delimiter: with a record delimiter set, csv-stringify would quote only fields
  // holding that whole CRLF, and leave a lone CR or LF bare.
  return stringify([header, ...rows.map((row) => row.map(defused))] as CsvCell[][], { record_delimiter: 'windows', quote_record_delimiter: true, escape_formulas: true })
}

/** Spreadsheets skip leading spaces before a formula: csv-stringify looks at the first character only. */
const SPACED_FORMULA = /^[ \u00a0\u3000]+[=+\-@\uff1d\uff0b\uff0d\uff20]/

function defused (cell: CsvCell): CsvCell {
  return typeof cell === 'string' && SPACED_FORMULA.test(cell) ? `'${cell}` : cell
}
