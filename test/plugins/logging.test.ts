import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { FAMILIES } from '../../src/families/index.js'
import { secretRedactor } from '../../src/logging.js'

const redactSecrets = secretRedactor(FAMILIES)
import { insertTenantUser, login, tenantSession, unique } from '../helpers/factories.js'
import { tracedApp, type TracedApp } from '../helpers/traced-app.js'

/** Everything the app logs, at level trace. */
let traced: TracedApp
let app: App
beforeAll(async () => {
  traced = await tracedApp()
  app = traced.app
})
afterAll(() => traced?.close())

describe('redactSecrets', () => {
  it.each([
    ['/v2.0/tokens/abc123', '/v2.0/tokens/[redacted]'],
    ['/v2.0/tokens/abc123/endpoints', '/v2.0/tokens/[redacted]/endpoints'],
    ['/v2.0/tokens/abc123?belongsTo=42', '/v2.0/tokens/[redacted]?belongsTo=42'],
    ['/v2.0/tokens', '/v2.0/tokens'],
    ['/v1.0/123/agent_tokens/0123abc.123', '/v1.0/123/agent_tokens/[redacted]'],
    ['/healthz', '/healthz'],
    // The router ignores duplicate slashes, so these reach the token routes too.
    ['/v2.0//tokens//abc123', '/v2.0//tokens//[redacted]'],
    ['/v1.0/123/agent_tokens//0123abc.123', '/v1.0/123/agent_tokens//[redacted]'],
    ['/v1.0/123/agent_tokens?limit=5&marker=0123abc.123', '/v1.0/123/agent_tokens?limit=5&marker=[redacted]'],
    ['/v1.0/123/agent_tokens//?marker=0123abc.123', '/v1.0/123/agent_tokens//?marker=[redacted]'],
    // Whatever the case, the encoding or the parameters, and wherever the URL sits in a line.
    ['/v2.0/TOKENS/abc123', '/v2.0/TOKENS/[redacted]'],
    ['/v2.0/ToKeNs/abc123?belongsTo=1', '/v2.0/ToKeNs/[redacted]?belongsTo=1'],
    ['/v2.0/%74okens/abc123', '/v2.0/%74okens/[redacted]'],
    ['/v2.0/TOK%45NS/abc123', '/v2.0/TOK%45NS/[redacted]'],
    ['/v2.0/tokens%2Fabc123', '/v2.0/tokens%2F[redacted]'],
    ['/v2.0/tokens;v=1/abc123', '/v2.0/tokens;v=1/[redacted]'],
    ['/v2.0/tokens/abc123;v=1', '/v2.0/tokens/[redacted]'],
    ['/v2.0/tokens/abc123%zz', '/v2.0/tokens/[redacted]'],
    ['/v1.0/123/AGENT_TOKENS/0123abc.123', '/v1.0/123/AGENT_TOKENS/[redacted]'],
    ['/v1.0/123/agent%5Ftokens/0123abc.123', '/v1.0/123/agent%5Ftokens/[redacted]'],
    ['/v1.0/123/agent_tokens?MARKER=0123abc.123', '/v1.0/123/agent_tokens?MARKER=[redacted]'],
    ['/v1.0/123/agent_tokens?%6Darker=0123abc.123', '/v1.0/123/agent_tokens?%6Darker=[redacted]'],
    ["'/v2.0/tokens/abc123%zz' is not a valid url component", "'/v2.0/tokens/[redacted]' is not a valid url component"],
    // A token (48 hex digits or more) is redacted wherever it appears.
    [`/v2.0/%2574okens/${'ab'.repeat(32)}`, '/v2.0/%2574okens/[redacted]'],
    [`/v1.0/123/x/${'0f'.repeat(32)}.123`, '/v1.0/123/x/[redacted].123'],
    // What is not a secret stays readable.
    ['/admin/v1/accounts/5f2b9c0e8d7a4b3c9e1f0a2b3c4d5e6f?after=abc', '/admin/v1/accounts/5f2b9c0e8d7a4b3c9e1f0a2b3c4d5e6f?after=abc'],
    ['/v2.0/tokens?x=1', '/v2.0/tokens?x=1'],
    ['at getAgentToken (file:///app/dist/families/agent-tokens/tokens.js:45:3)', 'at getAgentToken (file:///app/dist/families/agent-tokens/tokens.js:45:3)']
  ])('%s → %s', (url, redacted) => {
    expect(redactSecrets(url)).toBe(redacted)
  })
})

describe('the log at level trace', () => {
  it('never holds a password, an API key or a token id, only [redacted] in their place', async () => {
    const { account, user, password, apiKey } = await insertTenantUser(app.db, ['admin'])
    const wrongPassword = unique('wrong-pw')
    const secrets: Record<string, string> = { password, wrongPassword, apiKey }
    const before = traced.log().length

    // Log in with a password, with a wrong one, and with the API key.
    const byPassword = await login(app, { username: user.name, password, tenantId: account.id })
    secrets.passwordToken = byPassword.token
    const refused = await app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.name, password: wrongPassword } } } })
    expect(refused.statusCode).toBe(401)
    const byApiKey = await app.inject({
      method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.name, apiKey }, tenantId: account.id } }
    })
    expect(byApiKey.statusCode).toBe(200)
    secrets.apiKeyToken = byApiKey.json().access.token.id
    // Re-scope by token: the old token travels in the body.
    const rescoped = await app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { token: { id: secrets.apiKeyToken }, tenantId: account.id } } })
    expect(rescoped.statusCode).toBe(200)
    secrets.rescopedToken = rescoped.json().access.token.id

    // Validate, check and list endpoints: the token is in the URL and in X-Auth-Token (or Bearer).
    const token = secrets.passwordToken
    const validated = await app.inject({ url: `/v2.0/tokens/${token}?belongsTo=${account.id}`, headers: { 'x-auth-token': token } })
    expect(validated.statusCode).toBe(200)
    const checked = await app.inject({ method: 'HEAD', url: `/v2.0/tokens/${secrets.apiKeyToken}`, headers: { authorization: `Bearer ${token}` } })
    expect(checked.statusCode).toBe(200)
    const endpoints = await app.inject({ url: `/v2.0/tokens/${token}/endpoints`, headers: { 'x-auth-token': token } })
    expect(endpoints.statusCode).toBe(200)
    // fog writes `/v2.0//tokens`; the router forgives doubled slashes, and so must the redaction.
    const doubled = await app.inject({ url: `/v2.0//tokens//${token}`, headers: { 'x-auth-token': token } })
    expect(doubled.statusCode).toBe(200)
    // A mistyped path under a token: the 404 names the URL, which the log must not repeat.
    const unknown = await app.inject({ url: `/v2.0/tokens/${token}/no-such-thing`, headers: { 'x-auth-token': token } })
    expect(unknown.statusCode).toBe(404)

    // An agent token: its id is the secret, in the reply's headers and in later URLs.
    const created = await app.inject({ method: 'POST', url: `/v1.0/${account.id}/agent_tokens`, headers: { 'x-auth-token': token }, payload: { label: 'logging-test' } })
    expect(created.statusCode).toBe(201)
    secrets.agentToken = String(created.headers['x-object-id'])
    const fetched = await app.inject({ url: `/v1.0/${account.id}/agent_tokens/${secrets.agentToken}`, headers: { 'x-auth-token': token } })
    expect(fetched.statusCode).toBe(200)

    // Revoke the password token by id, then the re-scoped one by itself.
    const revoked = await app.inject({ method: 'DELETE', url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': token } })
    expect(revoked.statusCode).toBe(204)
    const revokedOwn = await app.inject({ method: 'DELETE', url: '/v2.0/tokens', headers: { 'x-auth-token': secrets.rescopedToken } })
    expect(revokedOwn.statusCode).toBe(204)
    const stale = await app.inject({ url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': token } })
    expect(stale.statusCode).toBe(401)

    const log = traced.log().slice(before)
    const lines = log.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    // The log did record these requests (a silent logger would pass the checks below vacuously).
    expect(lines.filter((line) => line.msg === 'incoming request').length).toBeGreaterThanOrEqual(12)
    expect(lines.some((line) => line.level === 10 || line.level === 20 || line.level === 30)).toBe(true)
    expect(log).toContain(`"url":"/v2.0/tokens/[redacted]?belongsTo=${account.id}"`)
    expect(log).toContain('"url":"/v2.0/tokens/[redacted]/endpoints"')
    expect(log).toContain(`"url":"/v1.0/${account.id}/agent_tokens/[redacted]"`)

    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret.length, what).toBeGreaterThanOrEqual(12)
      expect(log.includes(secret), `${what} appears in the log`).toBe(false)
    }
  })

  it('never holds a token id from an odd URL: malformed, another case, another encoding, parameters', async () => {
    const { account, token } = await tenantSession(app, ['admin'])
    const created = await app.inject({ method: 'POST', url: `/v1.0/${account.id}/agent_tokens`, headers: { 'x-auth-token': token }, payload: {} })
    expect(created.statusCode).toBe(201)
    const agentToken = String(created.headers['x-object-id'])
    const headers = { 'x-auth-token': token }
    const before = traced.log().length

    const urls = [
      `/v2.0/tokens/${token}%zz`,
      `/v1.0/%FF/agent_tokens/${agentToken}`,
      `/v2.0/TOKENS/${token}`,
      `/v2.0/tokens;x=1/${token}`,
      `/v2.0/tokens/${token};x=1`,
      `/v2.0/%74okens/${token}`,
      `/v2.0/tokens%2F${token}`,
      `/v2.0/tokens/${token}/%zz`,
      `/v1.0/${account.id}/AGENT_TOKENS/${agentToken}`,
      `/v1.0/${account.id}/agent%5Ftokens/${agentToken}`,
      `/v1.0/${account.id}/agent_tokens?marker=${agentToken}%zz`,
      `/no/such/route/${token}`
    ]
    for (const url of urls) {
      const response = await app.inject({ url, headers })
      expect(response.statusCode, url).toBeGreaterThanOrEqual(200)
      expect(response.statusCode, url).toBeLessThan(500)
    }

    const log = traced.log().slice(before)
    expect(log.match(/"msg":"incoming request"/g)?.length).toBe(urls.length)
    expect(log).toContain('request refused')
    for (const [what, secret] of Object.entries({ token, agentToken, agentSecret: agentToken.slice(16, 64) })) {
      expect(log.includes(secret), `${what} appears in the log:\n${log}`).toBe(false)
    }
  })
})
