import type { SourceLine } from './import.js'

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * The lines of a byte stream, numbered from 1, as a file of JSON lines needs them: a line
 * longer than `maxBytes` is skipped unread (its bytes are not kept), one that is not UTF-8 is
 * reported as such, blank lines are passed over (they still count), a final line needs no
 * newline. `onBytes` hears how many bytes were read so far, for a progress bar.
 */
export async function * readLines (stream: AsyncIterable<Buffer | string>, maxBytes: number, onBytes?: (bytes: number) => void): AsyncGenerator<SourceLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
  let parts: Buffer[] = []
  let length = 0
  let tooLong = false
  let number = 0
  let bytes = 0

  function * finish (): Generator<SourceLine> {
    number++
    const line = Buffer.concat(parts, length)
    parts = []
    length = 0
    if (tooLong) {
      tooLong = false
      yield { number, problem: `the line is longer than ${maxBytes} bytes` }
      return
    }
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length
    let text: string
    try {
      text = decoder.decode(line.subarray(0, end))
    } catch {
      yield { number, problem: 'the line is not valid UTF-8' }
      return
    }
    if (text.trim() !== '') yield { number, text }
  }

  function keep (chunk: Buffer): void {
    if (tooLong) return
    if (length + chunk.length > maxBytes) {
      tooLong = true
      parts = []
      length = 0
      return
    }
    parts.push(chunk)
    length += chunk.length
  }

  for await (const piece of stream) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece
    bytes += chunk.length
    let start = 0
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, end))
      yield * finish()
      start = end + 1
    }
    if (start < chunk.length) keep(Buffer.from(chunk.subarray(start)))
    onBytes?.(bytes)
  }
  if (length > 0 || tooLong) yield * finish()
}
