/** A column written from an array parameter: its PostgreSQL type, and the type it is sent as when that differs (a cidr[] as its text). */
export interface ArrayColumn<Row> {
  name: keyof Row & string
  type: string
  sentAs?: string
}

/**
 * `insert into <table> (…) select … from unnest($first::type[], …)`: the rows of a multi-row
 * INSERT sent as one array a column. Its text is the same for one row or a thousand, so it is
 * built once (no query building per request) and PostgreSQL always parses the same statement,
 * where a VALUES list makes a new one of 17 × n parameters for every n.
 */
export function insertFromArrays<Row> (table: string, columns: ReadonlyArray<ArrayColumn<Row>>, firstParameter: number): string {
  const names = columns.map((column) => column.name).join(', ')
  const selected = columns.map((column, index) => column.sentAs ? `c${index}::${column.type}` : `c${index}`).join(', ')
  const arrays = columns.map((column, index) => `$${firstParameter + index}::${column.sentAs ?? column.type}[]`).join(', ')
  const aliases = columns.map((_, index) => `c${index}`).join(', ')
  return `insert into ${table} (${names}) select ${selected} from unnest(${arrays}) as t(${aliases})`
}

/** The parameters of insertFromArrays: one array a column, each of every row's value (null for none). */
export function columnArrays<Row> (rows: readonly Row[], columns: ReadonlyArray<ArrayColumn<Row>>): unknown[][] {
  return columns.map((column) => rows.map((row) => row[column.name] ?? null))
}
