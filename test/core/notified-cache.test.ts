import { describe, expect, it } from 'vitest'
import { NotifiedCache, type Loaded } from '../../src/core/notified-cache.js'

const at = (ms: number) => new Date(1_800_000_000_000 + ms)
const far = at(3_600_000)

/** A loader that counts its calls and returns `value` valid until `expiresAt`. */
function loader<T> (value: T, expiresAt = far) {
  const calls = { count: 0 }
  const load = async (): Promise<Loaded<T>> => {
    calls.count++
    return { value, expiresAt }
  }
  return { calls, load }
}

describe('NotifiedCache', () => {
  it('loads once, then answers from memory until the re-check interval ends', async () => {
    const cache = new NotifiedCache({ maxEntries: 10, recheckMs: 1000 })
    const { calls, load } = loader('alice')
    expect(await cache.getOrLoad('k', at(0), load)).toBe('alice')
    expect(await cache.getOrLoad('k', at(999), load)).toBe('alice')
    expect(calls.count).toBe(1)
    expect(await cache.getOrLoad('k', at(1000), load)).toBe('alice')
    expect(calls.count).toBe(2)
  })

  it("never keeps an entry past the credential's own expiry", async () => {
    const cache = new NotifiedCache({ maxEntries: 10, recheckMs: 60_000 })
    const { calls, load } = loader('alice', at(100))
    await cache.getOrLoad('k', at(0), load)
    await cache.getOrLoad('k', at(99), load)
    expect(calls.count).toBe(1)
    await cache.getOrLoad('k', at(100), load)
    expect(calls.count).toBe(2)
  })

  it('remembers nothing that was not found', async () => {
    const cache = new NotifiedCache({ maxEntries: 10, recheckMs: 1000 })
    let calls = 0
    const missing = async () => { calls++; return undefined }
    expect(await cache.getOrLoad('k', at(0), missing)).toBeUndefined()
    expect(await cache.getOrLoad('k', at(1), missing)).toBeUndefined()
    expect(calls).toBe(2)
    expect(cache.size).toBe(0)
  })

  it('forgets one key, or all of them, when told', async () => {
    const cache = new NotifiedCache({ maxEntries: 10, recheckMs: 60_000 })
    const a = loader('a')
    const b = loader('b')
    await cache.getOrLoad('a', at(0), a.load)
    await cache.getOrLoad('b', at(0), b.load)
    cache.forget('a')
    await cache.getOrLoad('a', at(1), a.load)
    await cache.getOrLoad('b', at(1), b.load)
    expect([a.calls.count, b.calls.count]).toEqual([2, 1])
    cache.flush()
    await cache.getOrLoad('b', at(2), b.load)
    expect(b.calls.count).toBe(2)
  })

  it('forgets a whole group by its key, and keeps no empty group behind', async () => {
    const cache = new NotifiedCache({ maxEntries: 3, recheckMs: 60_000 })
    const pages = ['p1', 'p2'].map((key) => loader(key))
    const other = loader('other')
    await cache.getOrLoad('list/alice?1', at(0), pages[0]!.load, 'list/alice')
    await cache.getOrLoad('list/alice?2', at(0), pages[1]!.load, 'list/alice')
    await cache.getOrLoad('list/bob?1', at(0), other.load, 'list/bob')
    cache.forget('list/alice')
    expect(cache.size).toBe(1)
    await cache.getOrLoad('list/alice?1', at(1), pages[0]!.load, 'list/alice')
    await cache.getOrLoad('list/bob?1', at(1), other.load, 'list/bob')
    expect([pages[0]!.calls.count, other.calls.count]).toEqual([2, 1])
    // Full, the cache evicts its oldest entry (bob's page); forgetting groups stays exact.
    await cache.getOrLoad('x', at(2), loader('x').load)
    await cache.getOrLoad('y', at(2), loader('y').load)
    expect(cache.size).toBe(3)
    cache.forget('list/bob')
    expect(cache.size).toBe(3)
    cache.forget('list/alice')
    expect(cache.size).toBe(2)
  })

  it('does not remember a load that a flush overlapped: it may have read what the flush was for', async () => {
    const cache = new NotifiedCache({ maxEntries: 10, recheckMs: 60_000 })
    let release!: () => void
    const slow = async (): Promise<Loaded<string>> => {
      await new Promise<void>((resolve) => { release = resolve })
      return { value: 'stale', expiresAt: far }
    }
    const pending = cache.getOrLoad('k', at(0), slow)
    cache.flush()
    release()
    expect(await pending).toBe('stale')
    expect(cache.size).toBe(0)
  })

  it('holds at most maxEntries, dropping the oldest', async () => {
    const cache = new NotifiedCache({ maxEntries: 2, recheckMs: 60_000 })
    const loads = ['a', 'b', 'c'].map((key) => loader(key))
    for (const [i, key] of ['a', 'b', 'c'].entries()) await cache.getOrLoad(key, at(0), loads[i]!.load)
    expect(cache.size).toBe(2)
    await cache.getOrLoad('a', at(1), loads[0]!.load)
    expect(loads[0]!.calls.count).toBe(2)
  })

  it('evicts in the order entries came, whatever was dropped or replaced in between', async () => {
    const cache = new NotifiedCache({ maxEntries: 3, recheckMs: 60_000 })
    const loads = new Map(['a', 'b', 'c', 'd', 'e'].map((key) => [key, loader(key)]))
    const get = (key: string, t = 0) => cache.getOrLoad(key, at(t), loads.get(key)!.load)
    for (const key of ['a', 'b', 'c']) await get(key)
    cache.forget('b')
    await get('d')
    expect(cache.size).toBe(3)
    // Full: e pushes out a, the oldest; b's place was freed by the forget, not by an eviction.
    await get('e')
    expect(cache.size).toBe(3)
    for (const key of ['c', 'd', 'e']) await get(key)
    expect(['c', 'd', 'e'].map((key) => loads.get(key)!.calls.count)).toEqual([1, 1, 1])
    await get('a')
    expect(loads.get('a')!.calls.count).toBe(2)
    // a came back newest and pushed out c, now the oldest.
    await get('c')
    expect(loads.get('c')!.calls.count).toBe(2)
    cache.flush()
    expect(cache.size).toBe(0)
    await get('a')
    expect(cache.size).toBe(1)
  })

  it('while disabled, loads every time; enabled again, starts empty', async () => {
    const cache = new NotifiedCache({ maxEntries: 10, recheckMs: 60_000 }, { enabled: false })
    const { calls, load } = loader('alice')
    await cache.getOrLoad('k', at(0), load)
    await cache.getOrLoad('k', at(1), load)
    expect(calls.count).toBe(2)
    cache.enable()
    await cache.getOrLoad('k', at(2), load)
    await cache.getOrLoad('k', at(3), load)
    expect(calls.count).toBe(3)
    cache.disable()
    expect(cache.size).toBe(0)
    expect(cache.enabled).toBe(false)
  })

  it('is off for good with a zero interval or size', async () => {
    for (const options of [{ maxEntries: 0, recheckMs: 1000 }, { maxEntries: 10, recheckMs: 0 }]) {
      const cache = new NotifiedCache(options)
      cache.enable()
      expect(cache.enabled).toBe(false)
    }
  })
})
