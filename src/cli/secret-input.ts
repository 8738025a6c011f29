import { InvalidInput } from '../core/errors.js'
import { Cancelled, type SecretSource, type TextSink } from './command.js'

const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const BACKSPACES = new Set(['\u007f', '\b'])

function isTerminal (stdin: SecretSource): boolean {
  return stdin.isTTY === true && typeof stdin.setRawMode === 'function'
}

/**
 * Reads one line from standard input: up to the first newline, or to the end of input.
 * On a terminal it prompts on stderr and reads in raw mode, so nothing is echoed.
 */
export function readSecretLine (stdin: SecretSource, stderr: TextSink, prompt: string): Promise<string> {
  // Input already read to its end has no line left to give.
  if ((stdin as { readableEnded?: boolean }).readableEnded) return Promise.resolve('')
  const terminal = isTerminal(stdin)
  if (terminal) {
    stderr.write(prompt)
    stdin.setRawMode!(true)
  }
  stdin.setEncoding('utf8')
  return new Promise<string>((resolve, reject) => {
    let text = ''
    const settle = (outcome: () => void) => {
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      stdin.off('error', onError)
      // Stop reading, so an open pipe or terminal does not keep the process alive.
      stdin.pause()
      if (terminal) {
        stdin.setRawMode!(false)
        stderr.write('\n')
      }
      outcome()
    }
    const onData = (chunk: string | Buffer) => {
      for (const char of String(chunk)) {
        if (char === '\n' || char === '\r' || (terminal && char === CTRL_D)) return settle(() => resolve(text))
        if (terminal && char === CTRL_C) return settle(() => reject(new Cancelled()))
        if (terminal && BACKSPACES.has(char)) text = Array.from(text).slice(0, -1).join('')
        else text += char
      }
    }
    const onEnd = () => settle(() => resolve(text))
    const onError = (error: Error) => settle(() => reject(error))
    stdin.on('data', onData)
    stdin.once('end', onEnd)
    stdin.once('error', onError)
    stdin.resume()
  })
}

/** A new password from standard input; a terminal is asked twice, so a typo cannot lock anyone out. */
export async function readNewPassword (stdin: SecretSource, stderr: TextSink, whose: string): Promise<string> {
  const password = await readSecretLine(stdin, stderr, `New password for ${whose}: `)
  if (password === '') {
    throw new InvalidInput('no password was given on standard input', { fields: [{ path: ['password'], problem: 'is missing' }] })
  }
  if (isTerminal(stdin) && await readSecretLine(stdin, stderr, 'Repeat it: ') !== password) {
    throw new InvalidInput('the two passwords do not match', { fields: [{ path: ['password'], problem: 'does not match its repetition' }] })
  }
  return password
}
