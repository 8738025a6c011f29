import { describe, expect, it } from 'vitest'
import { readLines } from '../../src/services/transfer/line-reader.js'
import { createProgress, PLAIN_EVERY } from '../../src/cli/progress.js'

async function linesOf (chunks: Array<Buffer | string>, maxBytes = 64) {
  const read = []
  for await (const line of readLines((async function * () { yield * chunks })(), maxBytes)) read.push(line)
  return read
}

describe('readLines', () => {
  it('numbers lines across chunks, drops CR before LF, passes over blank lines and needs no final newline', async () => {
    expect(await linesOf(['{"a":', '1}\r\n\n  \n{"b"', Buffer.from(':2}\n{"c":3}')])).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 4, text: '{"b":2}' },
      { number: 5, text: '{"c":3}' }
    ])
  })

  it('skips a line longer than the limit unread, and one that is not UTF-8, and goes on', async () => {
    expect(await linesOf(['x'.repeat(40), 'y'.repeat(40), '\nok\n', Buffer.from([0xc3, 0x28, 0x0a]), 'é\n', 'z'.repeat(100)], 64)).toEqual([
      { number: 1, problem: 'the line is longer than 64 bytes' },
      { number: 2, text: 'ok' },
      { number: 3, problem: 'the line is not valid UTF-8' },
      { number: 4, text: 'é' },
      { number: 5, problem: 'the line is longer than 64 bytes' }
    ])
  })
})

describe('createProgress', () => {
  it('writes a plain line every PLAIN_EVERY lines when standard error is not a terminal', () => {
    let written = ''
    const progress = createProgress({ write: (text: string) => { written += text } }, 1000)
    for (let line = 1; line <= PLAIN_EVERY * 2 + 5; line++) progress.update(line, line)
    progress.done(PLAIN_EVERY * 2 + 5, 1000)
    expect(written).toBe('tessera: 10,000 lines read\ntessera: 20,000 lines read\n')
  })

  it('redraws a bar in place on a terminal, ending its line when done', () => {
    let written = ''
    const progress = createProgress({ isTTY: true, write: (text: string) => { written += text } }, 4000)
    for (let line = 1; line <= 2000; line++) progress.update(line, line)
    progress.done(2000, 4000)
    expect(written).toBe('\r[########----------------------]  25%  1,000 lines' +
      '\r[###############---------------]  50%  2,000 lines' +
      '\r[##############################] 100%  2,000 lines\n')
  })
})
