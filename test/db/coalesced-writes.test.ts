import { describe, expect, it } from 'vitest'
import { CoalescedWrites } from '../../src/db/coalesced-writes.js'

/** A writer whose statements finish when the test says so, recording the rows of each. */
function heldWriter () {
  const statements: Array<{ rows: number[], finish: (error?: Error) => void }> = []
  const write = (rows: number[]) => new Promise<void>((resolve, reject) => {
    statements.push({ rows, finish: (error) => error ? reject(error) : resolve() })
  })
  return { statements, write }
}

/** The next turn of the event loop: CoalescedWrites has started what the last one gathered. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('CoalescedWrites', () => {
  it('writes the rows of one turn of the event loop together, and those that arrive while statements run in the next', async () => {
    const { statements, write } = heldWriter()
    const writes = new CoalescedWrites(write, { maxInFlight: 2, maxRows: 3, isRowError: () => false })
    const settled: number[] = []
    const submit = (row: number) => writes.write(row).then(() => { settled.push(row) })
    const first = [1, 2, 3, 4].map(submit)
    // Nothing yet: more rows may come in this turn (a database in this process, PGlite, would
    // otherwise run each row's statement before the next request is even read).
    expect(statements).toEqual([])
    await nextTurn()
    // At most maxRows in one statement, maxInFlight statements at once.
    expect(statements.map((each) => each.rows)).toEqual([[1, 2, 3], [4]])
    const later = [5, 6].map(submit)
    await nextTurn()
    expect(statements).toHaveLength(2)

    statements[0]!.finish()
    await nextTurn()
    expect(settled).toEqual([1, 2, 3])
    expect(statements.map((each) => each.rows)).toEqual([[1, 2, 3], [4], [5, 6]])
    statements[1]!.finish()
    statements[2]!.finish()
    await Promise.all([...first, ...later])
    expect(settled.sort()).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('fails every request of a statement the database failed, and goes on with the next', async () => {
    const { statements, write } = heldWriter()
    const writes = new CoalescedWrites(write, { maxInFlight: 1, maxRows: 10, isRowError: () => false })
    const first = writes.write(1)
    await nextTurn()
    const second = writes.write(2)
    const third = writes.write(3)
    const failure = new Error('connection terminated')
    statements[0]!.finish()
    await first
    await nextTurn()
    expect(statements[1]!.rows).toEqual([2, 3])
    statements[1]!.finish(failure)
    await expect(second).rejects.toBe(failure)
    await expect(third).rejects.toBe(failure)
    const fourth = writes.write(4)
    await nextTurn()
    expect(statements[2]!.rows).toEqual([4])
    statements[2]!.finish()
    await fourth
  })

  it('tries each row alone when one row failed the statement: only that request fails', async () => {
    const { statements, write } = heldWriter()
    const violation = Object.assign(new Error('duplicate key'), { code: '23505' })
    const writes = new CoalescedWrites(write, { maxInFlight: 1, maxRows: 10, isRowError: (error) => error === violation })
    const together = [2, 3, 4].map((row) => writes.write(row).then(() => 'written', (error: unknown) => error))
    await nextTurn()
    statements[0]!.finish(violation)
    await nextTurn()
    expect(statements.map((each) => each.rows)).toEqual([[2, 3, 4], [2], [3], [4]])
    statements[1]!.finish()
    statements[2]!.finish(violation)
    statements[3]!.finish()
    expect(await Promise.all(together)).toEqual(['written', violation, 'written'])
  })

  it('counts a statement\'s rows by sizeOf: a request too big to share goes alone', async () => {
    const { statements, write } = heldWriter()
    const writes = new CoalescedWrites(write, { maxInFlight: 1, maxRows: 10, sizeOf: (row: number) => row, isRowError: () => false })
    const all = [1, 4, 5, 20, 3].map((row) => writes.write(row))
    await nextTurn()
    for (let i = 0; i < 3; i++) {
      statements[i]!.finish()
      await nextTurn()
    }
    expect(statements.map((each) => each.rows)).toEqual([[1, 4, 5], [20], [3]])
    await Promise.all(all)
  })
})
