import { describe, expect, it } from 'vitest'
import { batchedByHash } from '../../src/db/batched-lookups.js'
import type { Database } from '../../src/db/database.js'

interface Row { secret_hash: Buffer, name: string }

const hash = (name: string) => Buffer.from(name.padEnd(32, '.'))

/**
 * A lookup whose statements finish when the test says so, recording the hashes of each; it
 * answers every row it holds, asked for or not, so a row given to the wrong request would show.
 */
function heldLookup (rows: Row[]) {
  const statements: Array<{ names: string[], finish: (error?: Error) => void }> = []
  const query = (_db: Database, hashes: Buffer[]) => new Promise<Row[]>((resolve, reject) => {
    statements.push({ names: hashes.map((each) => each.toString().replace(/\.+$/, '')), finish: (error) => error ? reject(error) : resolve(rows) })
  })
  return { statements, query }
}

/** Stands for a database handle: the lookups only tell handles apart, and transactions. */
const handle = (isTransaction = false) => ({ isTransaction }) as unknown as Database
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('batchedByHash', () => {
  const rows = ['alice', 'bob', 'carol'].map((name) => ({ secret_hash: hash(name), name }))

  it('looks up the hashes of one turn of the event loop in one statement, each request getting only its own row', async () => {
    const { statements, query } = heldLookup(rows)
    const lookUp = batchedByHash(query, (row) => row.secret_hash, { maxInFlight: 2, maxKeys: 10 })
    const db = handle()
    const found = Promise.all(['alice', 'bob', 'nobody', 'alice'].map((name) => lookUp(db, hash(name))))
    expect(statements).toEqual([])
    await nextTurn()
    expect(statements.map((each) => each.names)).toEqual([['alice', 'bob', 'nobody', 'alice']])
    statements[0]!.finish()
    expect((await found).map((row) => row?.name)).toEqual(['alice', 'bob', undefined, 'alice'])
  })

  it('runs at most maxInFlight statements: the hashes that arrive meanwhile go together in the next', async () => {
    const { statements, query } = heldLookup(rows)
    const lookUp = batchedByHash(query, (row) => row.secret_hash, { maxInFlight: 1, maxKeys: 10 })
    const db = handle()
    const first = lookUp(db, hash('alice'))
    await nextTurn()
    const later = [lookUp(db, hash('bob')), lookUp(db, hash('carol'))]
    await nextTurn()
    const last = lookUp(db, hash('alice'))
    await nextTurn()
    expect(statements.map((each) => each.names)).toEqual([['alice']])
    statements[0]!.finish()
    expect((await first)?.name).toBe('alice')
    await nextTurn()
    expect(statements.map((each) => each.names)).toEqual([['alice'], ['bob', 'carol', 'alice']])
    statements[1]!.finish()
    expect((await Promise.all([...later, last])).map((row) => row?.name)).toEqual(['bob', 'carol', 'alice'])
  })

  it('fails every request of a failed statement with its error, and only those', async () => {
    const { statements, query } = heldLookup(rows)
    const lookUp = batchedByHash(query, (row) => row.secret_hash, { maxInFlight: 2, maxKeys: 2 })
    const db = handle()
    const outcomes = ['alice', 'bob', 'carol'].map((name) => lookUp(db, hash(name)).then((row) => row?.name, (error: Error) => error.message))
    await nextTurn()
    expect(statements.map((each) => each.names)).toEqual([['alice', 'bob'], ['carol']])
    statements[0]!.finish(new Error('connection lost'))
    statements[1]!.finish()
    expect(await Promise.all(outcomes)).toEqual(['connection lost', 'connection lost', 'carol'])
  })

  it('keeps no handle\'s statements together with another\'s, and runs a lookup in a transaction there, alone', async () => {
    const { statements, query } = heldLookup(rows)
    const lookUp = batchedByHash(query, (row) => row.secret_hash, { maxInFlight: 2, maxKeys: 10 })
    const inTransaction = lookUp(handle(true), hash('bob'))
    expect(statements.map((each) => each.names)).toEqual([['bob']])
    const found = [lookUp(handle(), hash('alice')), lookUp(handle(), hash('carol'))]
    await nextTurn()
    expect(statements.map((each) => each.names)).toEqual([['bob'], ['alice'], ['carol']])
    for (const statement of statements) statement.finish()
    expect((await Promise.all([inTransaction, ...found])).map((row) => row?.name)).toEqual(['bob', 'alice', 'carol'])
  })
})
