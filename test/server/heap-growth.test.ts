import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = new URL('../../', import.meta.url)

/** The heap cap npm start gives the server (test/deploy/container.test.ts checks the image's CMD carries it too). */
const START_FLAG = /--heap-growing-percent=\d+/.exec(JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).scripts.start)?.[0]

/**
 * A process started with `nodeArgs` that keeps 30 MB alive while it makes garbage that outlives
 * young collections (as requests in flight do): its largest V8 heap, in MB.
 */
async function peakHeapMb (nodeArgs: string[]): Promise<number> {
  const script = `
    const live = Array.from({ length: 30 }, () => Array.from({ length: 131072 }, (_, i) => i + 0.5))
    const inFlight = []
    let peak = 0
    for (let i = 0; i < 60000; i++) {
      inFlight.push(Array.from({ length: 256 }, (_, j) => ({ j })))
      if (inFlight.length > 2000) inFlight.shift()
      if (i % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal)
    }
    console.log(Math.round(peak / 1048576), live.length)`
  const { stdout } = await run(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { cwd: ROOT })
  return Number(stdout.split(' ')[0])
}

describe('the heap cap of the start command', () => {
  it('npm start carries it', () => {
    expect(START_FLAG).toBe('--heap-growing-percent=50')
  })

  it('keeps the heap near what is alive, where V8 alone lets it grow to several times that; a later --heap-growing-percent wins', async () => {
    // V8 bounds its growth by the heap's size limit, which depends on the machine's memory: the
    // same limit everywhere, so the figures are the code's, not the machine's.
    const sameLimit = '--max-old-space-size=4096'
    const [unlimited, limited, chosenByOperator] = await Promise.all([
      peakHeapMb([sameLimit]),
      peakHeapMb([sameLimit, START_FLAG!]),
      peakHeapMb([sameLimit, START_FLAG!, '--heap_growing_percent=300'])
    ])
    // 30 MB alive and ≈ 25 MB in flight: ≈ 55 MB live at most (here: ≈ 150 MB limited, ≈ 300 unlimited).
    expect(limited).toBeLessThan(0.7 * unlimited)
    expect(chosenByOperator).toBeGreaterThan(0.85 * unlimited)
  })
})
