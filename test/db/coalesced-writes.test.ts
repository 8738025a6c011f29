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

describe('CoalescedWrites', () => {
  it('writes a row at once while few statements run, and the rows that arrive meanwhile together', async () => {
    const { statements, write } = heldWriter()
    const writes = new CoalescedWrites(write, { maxInFlight: 2, maxRows: 3, isRowError: () => false })
    const settled: number[] = []
    const submit = (row: number) => writes.write(row).then(() => { settled.push(row) })
    const all = [1, 2, 3, 4, 5, 6].map(submit)
    expect(statements.map((each) => each.rows)).toEqual([[1], [2]])

    statements[0]!.finish()
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toEqual([1])
    // At most maxRows in one statement: 3, 4, 5 now; 6 after the next one ends.
    expect(statements.map((each) => each.rows)).toEqual([[1], [2], [3, 4, 5]])
    statements[1]!.finish()
    await new Promise((resolve) => setImmediate(resolve))
    expect(statements.map((each) => each.rows)).toEqual([[1], [2], [3, 4, 5], [6]])
    statements[2]!.finish()
    statements[3]!.finish()
    await Promise.all(all)
    expect(settled.sort()).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('fails every request of a statement the database failed, and goes on with the next', async () => {
    const { statements, write } = heldWriter()
    const writes = new CoalescedWrites(write, { maxInFlight: 1, maxRows: 10, isRowError: () => false })
    const first = writes.write(1)
    const second = writes.write(2)
    const third = writes.write(3)
    const failure = new Error('connection terminated')
    statements[0]!.finish()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    expect(statements[1]!.rows).toEqual([2, 3])
    statements[1]!.finish(failure)
    await expect(second).rejects.toBe(failure)
    await expect(third).rejects.toBe(failure)
    const fourth = writes.write(4)
    expect(statements[2]!.rows).toEqual([4])
    statements[2]!.finish()
    await fourth
  })

  it('tries each row alone when one row failed the statement: only that request fails', async () => {
    const { statements, write } = heldWriter()
    const violation = Object.assign(new Error('duplicate key'), { code: '23505' })
    const writes = new CoalescedWrites(write, { maxInFlight: 1, maxRows: 10, isRowError: (error) => error === violation })
    const first = writes.write(1)
    const together = [2, 3, 4].map((row) => writes.write(row).then(() => 'written', (error: unknown) => error))
    statements[0]!.finish()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    statements[1]!.finish(violation)
    await new Promise((resolve) => setImmediate(resolve))
    expect(statements.slice(2).map((each) => each.rows)).toEqual([[2], [3], [4]])
    statements[2]!.finish()
    statements[3]!.finish(violation)
    statements[4]!.finish()
    expect(await Promise.all(together)).toEqual(['written', violation, 'written'])
  })

  it('counts a statement\'s rows by sizeOf: a request too big to share goes alone', async () => {
    const { statements, write } = heldWriter()
    const writes = new CoalescedWrites(write, { maxInFlight: 1, maxRows: 10, sizeOf: (row: number) => row, isRowError: () => false })
    const all = [1, 4, 5, 20, 3].map((row) => writes.write(row))
    for (let i = 0; i < 4; i++) {
      statements[i]!.finish()
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(statements.map((each) => each.rows)).toEqual([[1], [4, 5], [20], [3]])
    await Promise.all(all)
  })
})
