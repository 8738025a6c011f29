import { describe, expect, it } from 'vitest'
import { withIdleTimeout } from '../../src/services/transfer/idle-timeout.js'

const stalled = () => new Error('stalled')

describe('withIdleTimeout', () => {
  it('passes every chunk of a source that keeps sending', async () => {
    async function * chunks () { yield 'a'; yield 'b'; yield 'c' }
    const seen: string[] = []
    for await (const chunk of withIdleTimeout(chunks(), 60_000, stalled)) seen.push(chunk)
    expect(seen).toEqual(['a', 'b', 'c'])
  })

  it('fails with the given error when the source sends nothing more, and ends the source', async () => {
    let ended = false
    const silent: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => {
        let sent = false
        return {
          next: () => {
            if (sent) return new Promise<IteratorResult<string>>(() => {})
            sent = true
            return Promise.resolve({ value: 'first', done: false })
          },
          return: async () => { ended = true; return { value: undefined, done: true } }
        }
      }
    }
    const seen: string[] = []
    await expect((async () => { for await (const chunk of withIdleTimeout(silent, 5, stalled)) seen.push(chunk) })()).rejects.toThrow('stalled')
    expect(seen).toEqual(['first'])
    expect(ended).toBe(true)
  })
})
