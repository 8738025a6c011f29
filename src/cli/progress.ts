import type { TextSink } from './command.js'

/** Standard error as the progress report needs it: whether it is a terminal, and how wide. */
export type ProgressSink = TextSink & { isTTY?: boolean, columns?: number }

export interface Progress {
  /** After each line: `lines` read so far, `bytes` of the input read so far. */
  update (lines: number, bytes: number): void
  /** Once the input is read (the bar's last state, then its line ends). */
  done (lines: number, bytes: number): void
}

/** A bar redrawn each this many lines: often enough to move, seldom enough to cost nothing. */
const REDRAW_EVERY = 1000
/** A plain line each this many lines when standard error is not a terminal (a log, a pipe). */
export const PLAIN_EVERY = 10_000
const BAR_WIDTH = 30

const count = (n: number) => n.toLocaleString('en-US')

/**
 * How far an import has come, on standard error: on a terminal, one line redrawn in place (a bar
 * when the input's size is known); otherwise a plain line every PLAIN_EVERY lines. Counted in
 * lines, not time: no clock, and the same output for the same input.
 */
export function createProgress (sink: ProgressSink, totalBytes: number | undefined): Progress {
  if (sink.isTTY !== true) {
    return {
      update (lines) { if (lines % PLAIN_EVERY === 0) sink.write(`tessera: ${count(lines)} lines read\n`) },
      done () {}
    }
  }
  const draw = (lines: number, bytes: number) => {
    if (totalBytes === undefined || totalBytes === 0) {
      sink.write(`\r${count(lines)} lines`)
      return
    }
    const share = Math.min(1, bytes / totalBytes)
    const filled = Math.round(share * BAR_WIDTH)
    sink.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${count(lines)} lines`)
  }
  return {
    update (lines, bytes) { if (lines % REDRAW_EVERY === 0) draw(lines, bytes) },
    done (lines, bytes) {
      draw(lines, bytes)
      sink.write('\n')
    }
  }
}
