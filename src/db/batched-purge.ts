/** Rows a purge statement deletes at most: no statement holds locks for long. */
export const PURGE_BATCH_SIZE = 1000

/** Whether the purge should stop (the app is closing): asked between batches. */
export type Stopping = () => boolean

/**
 * Calls `purgeBatch` (one short statement deleting at most `batchSize` rows) again while a batch
 * comes back full, since more may wait, unless `stopping` says so; never one giant delete.
 * Returns the rows deleted.
 */
export async function purgeInBatches (purgeBatch: (batchSize: number) => Promise<number>, batchSize: number, stopping: Stopping = () => false): Promise<number> {
  let total = 0
  for (let more = true; more && !stopping();) {
    const deleted = await purgeBatch(batchSize)
    total += deleted
    more = deleted === batchSize
  }
  return total
}
