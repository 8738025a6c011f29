import { describe, expect, it } from 'vitest'
import { OldestFirstMap } from '../../src/core/oldest-first-map.js'

const keysOf = (map: OldestFirstMap<number>, candidates: string[]) => candidates.filter((key) => map.get(key) !== undefined)

describe('OldestFirstMap', () => {
  it('holds at most maxEntries, pushing out the oldest by insertion and saying which', () => {
    const map = new OldestFirstMap<number>(3)
    expect([map.set('a', 1), map.set('b', 2), map.set('c', 3)]).toEqual([undefined, undefined, undefined])
    expect(map.set('d', 4)).toEqual({ key: 'a', value: 1 })
    expect(map.size).toBe(3)
    expect(keysOf(map, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd'])
  })

  it('keeps the order exact through deletes at either end or in the middle, and replacements', () => {
    const map = new OldestFirstMap<number>(3)
    for (const [i, key] of ['a', 'b', 'c'].entries()) map.set(key, i)
    expect(map.delete('b')).toBe(1)
    expect(map.delete('b')).toBeUndefined()
    // Replacing a makes it the newest: c is now the oldest.
    expect(map.set('a', 10)).toBeUndefined()
    expect(map.set('d', 4)).toBeUndefined()
    expect(map.set('e', 5)).toEqual({ key: 'c', value: 2 })
    expect(map.set('f', 6)).toEqual({ key: 'a', value: 10 })
    expect(map.delete('f')).toBe(6)
    expect(map.delete('d')).toBe(4)
    expect(map.delete('e')).toBe(5)
    expect(map.size).toBe(0)
    // Emptied from both ends, it starts over cleanly.
    map.set('g', 7)
    map.set('h', 8)
    map.set('i', 9)
    expect(map.set('j', 10)).toEqual({ key: 'g', value: 7 })
    map.clear()
    expect([map.size, map.get('h')]).toEqual([0, undefined])
    map.set('k', 11)
    expect(map.get('k')).toBe(11)
  })

  it('evicts as a list in insertion order would, over many sets and deletes', () => {
    const map = new OldestFirstMap<number>(100)
    const order: string[] = []
    for (let i = 0; i < 20_000; i++) {
      const key = `k${i % 3 === 0 ? i % 250 : i}`
      if (order.includes(key)) order.splice(order.indexOf(key), 1)
      const expected = order.length >= 100 ? order.shift() : undefined
      order.push(key)
      expect(map.set(key, i)?.key).toBe(expected)
      if (i % 7 === 0) {
        const gone = `k${i - 40}`
        expect(map.delete(gone) !== undefined).toBe(order.includes(gone))
        if (order.includes(gone)) order.splice(order.indexOf(gone), 1)
      }
      expect(map.size).toBe(order.length)
    }
  })
})
