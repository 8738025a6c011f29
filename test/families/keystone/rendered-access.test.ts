import fastJson from 'fast-json-stringify'
import { describe, expect, it } from 'vitest'
import { accessDocument, catalogFor, renderAccess } from '../../../src/families/keystone/access.js'
import { AccessSchema, type Access } from '../../../src/families/keystone/schemas.js'
import type { Session } from '../../../src/services/sessions.js'
import { testConfig } from '../../helpers/test-app.js'

/** The validation route's serialiser: Fastify compiles the reply schema with fast-json-stringify. */
const serialize = fastJson(AccessSchema as never) as (access: Access) => string
const config = testConfig()
const BASE = 'http://tessera.test:5000'
const TOKEN = 'ab'.repeat(32)

function session (overrides: Partial<Session> = {}): Session {
  return {
    auditId: 'AAAAAAAAAAAAAAAAAAAAAA',
    auditIds: ['AAAAAAAAAAAAAAAAAAAAAA'],
    method: 'password',
    user: { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', name: 'alice' },
    account: { id: '424242', name: 'acme' },
    homeAccountId: '424242',
    roles: ['admin', 'member'],
    issuedAt: new Date('2026-12-07T10:00:00.123Z'),
    expiresAt: new Date('2026-12-08T10:00:00.456Z'),
    ...overrides
  }
}

/** What the route sent before: the whole document through the serialiser. */
const whole = (each: Session) => serialize(accessDocument(each, TOKEN, catalogFor(each, config, BASE)))

describe('renderAccess', () => {
  it('sends the very text of the whole document, for scoped, unscoped and re-scoped sessions', () => {
    const sessions = [
      session(),
      session({ account: null, roles: [] }),
      session({ auditId: 'BBBBBBBBBBBBBBBBBBBBBB', auditIds: ['BBBBBBBBBBBBBBBBBBBBBB', 'AAAAAAAAAAAAAAAAAAAAAA'] }),
      session({ issuedAt: new Date('2026-12-07T11:00:00.000Z') })
    ]
    for (const each of sessions) expect(renderAccess(each, TOKEN, config, BASE, serialize)).toBe(whole(each))
    // The same holder's template serves another session: only its own fields differ.
    expect(JSON.parse(renderAccess(sessions[3]!, TOKEN, config, BASE, serialize)).access.token.issued_at).toBe('2026-12-07T11:00:00.000000Z')
  })

  it('renders whole a session whose names hold a stand-in\'s text', () => {
    const tricky = session({ user: { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', name: '@tessera:token-id@' }, account: { id: '424242', name: '@tessera:expires@' } })
    const text = renderAccess(tricky, TOKEN, config, BASE, serialize)
    expect(text).toBe(whole(tricky))
    expect(JSON.parse(text).access.user.name).toBe('@tessera:token-id@')
    expect(JSON.parse(text).access.token.id).toBe(TOKEN)
  })
})
