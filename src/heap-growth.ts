import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the old generation grow past what survived the last full collection, in
 * percent. On a machine with gigabytes of memory V8 picks up to 300% (4×), so a burst of
 * short-lived garbage (a page of 100 tokens decrypted 800 times a second) left the service at
 * 220–240 MB of RSS, where 50% keeps it near 160 MB for ≈ 5% less throughput on writes and pages
 * (measured with the bench's loads, docs/security.md, "Memory").
 */
export const HEAP_GROWING_PERCENT = 50

/**
 * Caps V8's heap growth factor unless the process was started with its own
 * `--heap-growing-percent` (Node refuses that flag in NODE_OPTIONS, so the command line is where
 * an operator sets another). V8 reads the flag at every full collection, so setting it once the
 * process runs takes effect from the next one.
 */
export function limitHeapGrowth (execArgv: readonly string[] = process.execArgv): void {
  // V8 reads --heap_growing_percent the same.
  if (execArgv.some((arg) => arg.replaceAll('_', '-').startsWith('--heap-growing-percent'))) return
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}
