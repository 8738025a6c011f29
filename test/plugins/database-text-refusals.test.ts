import Fastify, { type FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UNSTORABLE_TEXT_PROBLEM } from '../../src/core/storable-text.js'
import { monitoringDialect } from '../../src/families/agent-tokens/dialect.js'
import { astraDialect } from '../../src/families/astra/dialect.js'
import { conjurDialect } from '../../src/families/conjur/dialect.js'
import { keystoneDialect } from '../../src/families/keystone/dialect.js'
import { defaultDialect } from '../../src/plugins/errors/default-dialect.js'
import { renderErrorsWith, type ErrorDialect } from '../../src/plugins/errors/error-dialect.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

/**
 * The safety net behind the edge checks: when PostgreSQL itself refuses a client's text (a NUL
 * in text, `\u0000` in jsonb), the reply is a 400 in the family's dialect, not a 500. Routes of
 * a bare app run the very statements, so the net is tested whatever the edge lets through.
 */
let database: TestDatabase
beforeAll(async () => { database = await createTestDatabase() })
afterAll(() => database?.drop())

const MESSAGE = `The request ${UNSTORABLE_TEXT_PROBLEM}.`

async function appWith (dialect: ErrorDialect): Promise<FastifyInstance> {
  const app = Fastify()
  renderErrorsWith(app, dialect)
  app.get('/text', async () => sql`select ${'a\u0000b'}::text as value`.execute(database.db))
  app.get('/jsonb', async () => sql`select ${'{"a":"\\u0000"}'}::jsonb as value`.execute(database.db))
  app.get('/division', async () => sql`select 1 / 0 as value`.execute(database.db))
  await app.ready()
  return app
}

describe('PostgreSQL refusing the text of a value', () => {
  type Reply = Awaited<ReturnType<FastifyInstance['inject']>>
  it.each([
    ['Keystone', keystoneDialect, () => ({ error: { message: MESSAGE, code: 400, title: 'Bad Request' } })],
    ['Monitoring', monitoringDialect, (reply: Reply) => ({ type: 'badRequest', code: 400, message: 'Validation error', details: MESSAGE, txnId: reply.headers['x-response-id'] })],
    ['Astra', astraDialect, (reply: Reply) => ({ type: 'about:blank', title: 'Bad Request', detail: MESSAGE, status: '400', correlationID: reply.headers['x-correlation-id'] })],
    ['Tessera', defaultDialect, () => ({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: MESSAGE })]
  ] as const)('%s: a 400 in its words, for text (22021) and jsonb (22P05)', async (_family, dialect, body) => {
    const app = await appWith(dialect)
    try {
      for (const url of ['/text', '/jsonb']) {
        const response = await app.inject({ url })
        expect(response.statusCode, url).toBe(400)
        expect(response.json(), url).toEqual(body(response))
      }
    } finally {
      await app.close()
    }
  })

  it('Conjur: its body parser\'s empty 400', async () => {
    const app = await appWith(conjurDialect)
    try {
      for (const url of ['/text', '/jsonb']) {
        const response = await app.inject({ url })
        expect(response.statusCode, url).toBe(400)
        expect(response.body, url).toBe('')
      }
    } finally {
      await app.close()
    }
  })

  it('any other database error stays a 500', async () => {
    const app = await appWith(defaultDialect)
    try {
      const response = await app.inject({ url: '/division' })
      expect(response.statusCode).toBe(500)
      expect(response.json()).toEqual({ statusCode: 500, code: 'TESSERA_INTERNAL', message: 'An unexpected error prevented the server from fulfilling your request.' })
    } finally {
      await app.close()
    }
  })
})
