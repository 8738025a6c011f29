import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'

/** A pino logger at `level` writing to memory, and the JSON lines it wrote so far. */
export function capturedLog (level: string): { log: Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    }
  })
  return { log: pino({ level }, sink), lines }
}
