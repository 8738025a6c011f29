import { describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/logging.js'

// pino-pretty is a devDependency: `npm install` on a clone has it, `npm ci --omit=dev` (the image) does not.
describe('the log format', () => {
  it('on a terminal: pino-pretty, readable lines without pid and hostname', () => {
    expect(loggerOptions({ logLevel: 'info' }, [], true).transport).toEqual({
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }
    })
  })

  it('anywhere else (a pipe, a file, a container): JSON lines', () => {
    expect(loggerOptions({ logLevel: 'info' }, [], false).transport).toBeUndefined()
    expect(loggerOptions({ logLevel: 'info' }, []).transport).toBeUndefined()
  })
})
