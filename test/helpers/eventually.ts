/**
 * How long a test waits for a replica to hear of a change: generous, so a loaded machine passes
 * (a passing check returns at once), and well inside the 60-second caches those tests set, so only
 * the notification can explain a change seen in time.
 */
export const NOTIFIED_WITHIN_MS = 20_000

/**
 * Retries `check` (an assertion) until it passes, rethrowing its last failure after `timeoutMs`:
 * for what another process or connection does on its own time (a notification, a reconnect).
 */
export async function eventually<T> (check: () => Promise<T> | T, timeoutMs = NOTIFIED_WITHIN_MS, intervalMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  }
}
