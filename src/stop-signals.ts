/** The signals that ask the server to stop gracefully. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const
export type StopSignal = typeof STOP_SIGNALS[number]

/**
 * Calls `stop` on the first SIGINT or SIGTERM, and `force` on one more than `repeatMs` later.
 * Under `npm start` (`exec node …`) a single Ctrl-C, or a kill of npm's process group (or of the
 * service's cgroup, as systemd does), reaches the server twice within a millisecond or so:
 * directly, and relayed by npm. Taking the relay for a second signal would cut the graceful stop short.
 */
export function onStopSignals (stop: (signal: StopSignal) => void, force: (signal: StopSignal) => void, repeatMs = 1000): void {
  let firstAt: number | undefined
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (firstAt === undefined) {
        firstAt = Date.now()
        stop(signal)
      } else if (Date.now() - firstAt > repeatMs) {
        force(signal)
      }
    })
  }
}
