/**
 * Retries `check` (an assertion) until it passes, rethrowing its last failure after `timeoutMs`:
 * for what another process or connection does on its own time (a notification, a reconnect).
 */
export async function eventually<T> (check: () => Promise<T> | T, timeoutMs = 2000, intervalMs = 5): Promise<T> {
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
