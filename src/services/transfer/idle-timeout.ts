/**
 * The chunks of `source`, failing with `stalled()` when none comes for `ms` milliseconds (the
 * source is then ended): a client that stops sending must not hold what reads it, such as an
 * import's transaction, for as long as it likes.
 */
export async function * withIdleTimeout<T> (source: AsyncIterable<T>, ms: number, stalled: () => Error): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]()
  while (true) {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(stalled()), ms) })
    let next: IteratorResult<T>
    try {
      next = await Promise.race([iterator.next(), timeout])
    } catch (error) {
      await iterator.return?.()
      throw error
    } finally {
      clearTimeout(timer)
    }
    if (next.done) return
    yield next.value
  }
}
