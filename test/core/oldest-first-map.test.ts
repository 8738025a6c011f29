import { describe, expect, it } from 'vitest'
import { OldestFirstMap, type InsertionOrder } from '../../src/core/oldest-first-map.js'

interface Item extends InsertionOrder<Item> {
  value: number
}

/** A map of items, set and read by key and number. */
function mapOf (maxEntries: number) {
  const map = new OldestFirstMap<Item>(maxEntries)
  return {
    map,
    set: (key: string, value: number) => {
      const evicted = map.set({ key, value, older: undefined, newer: undefined })
      return evicted && { key: evicted.key, value: evicted.value }
    },
    remove: (key: string) => map.delete(key)?.value,
    present: (...keys: string[]) => keys.filter((key) => map.get(key) !== undefined)
  }
}

describe('OldestFirstMap', () => {
  it('holds at most maxEntries, pushing out the oldest by insertion and saying which', () => {
    const { map, set, present } = mapOf(3)
    expect([set('a', 1), set('b', 2), set('c', 3)]).toEqual([undefined, undefined, undefined])
    expect(set('d', 4)).toEqual({ key: 'a', value: 1 })
    expect(map.size).toBe(3)
    expect(present('a', 'b', 'c', 'd')).toEqual(['b', 'c', 'd'])
  })

  it('keeps the order exact through deletes at either end or in the middle, and replacements', () => {
    const { map, set, remove } = mapOf(3)
    for (const [i, key] of ['a', 'b', 'c'].entries()) set(key, i)
    expect(remove('b')).toBe(1)
    expect(remove('b')).toBeUndefined()
    // Replacing a makes it the newest: c is now the oldest.
    expect(set('a', 10)).toBeUndefined()
    expect(set('d', 4)).toBeUndefined()
    expect(set('e', 5)).toEqual({ key: 'c', value: 2 })
    expect(set('f', 6)).toEqual({ key: 'a', value: 10 })
    expect([remove('f'), remove('d'), remove('e')]).toEqual([6, 4, 5])
    expect(map.size).toBe(0)
    // Emptied from both ends, it starts over cleanly.
    set('g', 7)
    set('h', 8)
    set('i', 9)
    expect(set('j', 10)).toEqual({ key: 'g', value: 7 })
    map.clear()
    expect([map.size, map.get('h')]).toEqual([0, undefined])
    set('k', 11)
    expect(map.get('k')?.value).toBe(11)
  })

  it('evicts as a list in insertion order would, over many sets and deletes', () => {
    const { map, set, remove } = mapOf(100)
    const order: string[] = []
    for (let i = 0; i < 20_000; i++) {
      const key = `k${i % 3 === 0 ? i % 250 : i}`
      if (order.includes(key)) order.splice(order.indexOf(key), 1)
      const expected = order.length >= 100 ? order.shift() : undefined
      order.push(key)
      expect(set(key, i)?.key).toBe(expected)
      if (i % 7 === 0) {
        const gone = `k${i - 40}`
        expect(remove(gone) !== undefined).toBe(order.includes(gone))
        if (order.includes(gone)) order.splice(order.indexOf(gone), 1)
      }
      expect(map.size).toBe(order.length)
    }
  })
})
