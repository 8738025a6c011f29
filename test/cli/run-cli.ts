import { PassThrough } from 'node:stream'
import type { SecretSource } from '../../src/cli/command.js'
import { runCli } from '../../src/cli/index.js'
import { localOperations } from '../../src/cli/local-operations.js'
import type { Config } from '../../src/config.js'
import type { Database } from '../../src/db/database.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Standard input carrying `text` (a pipe), ended. */
export function pipedStdin (text = ''): SecretSource {
  const stream = new PassThrough()
  stream.end(text)
  return stream
}

/**
 * A terminal typing `lines`, one each time the CLI switches to raw mode (that is, at each prompt),
 * as a person would. Records the raw-mode switches.
 */
export function terminalStdin (lines: string[]): SecretSource & { rawModes: boolean[] } {
  const stream = new PassThrough()
  const pending = [...lines]
  const rawModes: boolean[] = []
  return Object.assign(stream, {
    isTTY: true,
    rawModes,
    setRawMode (raw: boolean) {
      rawModes.push(raw)
      const next = raw ? pending.shift() : undefined
      if (next !== undefined) setImmediate(() => stream.write(next))
      return stream
    }
  })
}

/** Runs the CLI in-process on `db`, capturing its output. */
export function cliOn (db: Database, config: Config) {
  return async (argv: string[], stdin: SecretSource = pipedStdin()): Promise<CliResult> => {
    let stdout = ''
    let stderr = ''
    const code = await runCli(argv, {
      ops: localOperations(db, config),
      stdin,
      stdout: { write: (text: string) => { stdout += text } },
      stderr: { write: (text: string) => { stderr += text } }
    })
    return { code, stdout, stderr }
  }
}

export function jsonLines (stdout: string): any[] {
  return stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line))
}
