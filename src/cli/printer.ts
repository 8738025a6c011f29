import type { Printer, TextSink } from './command.js'

function formatTable (header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

export function createPrinter (stdout: TextSink, stderr: TextSink, json: boolean): Printer {
  const writeJson = (data: object) => stdout.write(`${JSON.stringify(data)}\n`)
  return {
    json,
    result (lines, data) {
      if (json) writeJson(data)
      else stdout.write(`${([] as string[]).concat(lines).join('\n')}\n`)
    },
    table (rows, columns, data, empty) {
      if (json) {
        for (const row of rows) writeJson(data(row))
      } else if (rows.length === 0) {
        stdout.write(`${empty}\n`)
      } else {
        const lines = formatTable(columns.map((column) => column.header), rows.map((row) => columns.map((column) => column.value(row))))
        stdout.write(`${lines.join('\n')}\n`)
      }
    },
    raw (text) {
      stdout.write(text)
    },
    note (text) {
      stderr.write(`${text}\n`)
    }
  }
}
