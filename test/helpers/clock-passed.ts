/**
 * Resolves once the system clock (the app's, by default) reads later than `instant` (ms since the
 * epoch): a later timestamp for the next write, without guessing how long the clock takes to tick.
 */
export async function clockPassed (instant: number): Promise<void> {
  while (Date.now() <= instant) await new Promise((resolve) => setImmediate(resolve))
}
