import { createHash, createHmac, hash, hkdfSync } from 'node:crypto'
import { parseBoundedJson } from '../../core/bounded-json.js'
import { constantTimeEqual } from '../../core/secrets.js'

/** Conjur's access tokens live 8 minutes, for users and hosts alike (spec §A6). */
export const ACCESS_TOKEN_TTL_SECONDS = 480
/**
 * Conjur signs with Slosilo's RSA scheme; Tessera signs with HMAC-SHA-256 under a key derived
 * from TESSERA_SECRET_KEY for each account, so every replica verifies without a database read.
 * Clients never verify the signature; they read `exp` from the payload.
 */
export const ACCESS_TOKEN_ALG = 'conjur.org/tessera/hs256'
/** The claims Conjur's middleware accepts; any other makes the token unusable (spec §A0.2). */
const KNOWN_CLAIMS = new Set(['iat', 'exp', 'cidr', 'sub', 'iss', 'aud', 'jti'])

/** `{protected, payload, signature}`: URL-safe base64 with `=` padding, as Slosilo writes them. */
export interface AccessToken {
  protected: string
  payload: string
  signature: string
}

export interface VerifiedAccessToken {
  accountId: string
  /** The Conjur login: a user name, or `host/<id>`. */
  login: string
  issuedAt: Date
  expiresAt: Date
  /** A `cidr` claim: the addresses the token may be used from (Tessera issues none; Conjur can). */
  cidr: readonly string[] | undefined
}

/** Why a presented token is refused, in the words of Conjur's middleware (spec §A0.2). */
export type AccessTokenRefusal = 'Malformed authorization token' | 'Unauthorized: Invalid token' | 'token contains unrecognized claims'

function base64UrlPadded (data: Buffer | string): string {
  const text = Buffer.from(data).toString('base64url')
  return text + '='.repeat((4 - (text.length % 4)) % 4)
}

function decodeJson (text: string): unknown {
  try {
    return parseBoundedJson(Buffer.from(text, 'base64').toString('utf8'))
  } catch {
    return undefined
  }
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Most verified tokens remembered; past it, the memory starts over. */
const VERIFIED_CAP = 10_000

/** Issues and verifies access tokens; keys are derived once per account and kept. */
export class AccessTokens {
  readonly #master: Buffer
  readonly #keys = new Map<string, { key: Buffer, kid: string }>()
  /**
   * Tokens verified already, by the SHA-256 of their text (never the text): a client presents
   * the same token on each request for 8 minutes, and each verification costs an HMAC and three
   * JSON parses. Only valid tokens, until they expire; a verdict depends on nothing else.
   */
  readonly #verified = new Map<string, VerifiedAccessToken>()

  constructor (masterKey: Buffer) {
    this.#master = masterKey
  }

  #keyOf (accountId: string): { key: Buffer, kid: string } {
    let entry = this.#keys.get(accountId)
    if (!entry) {
      const key = Buffer.from(hkdfSync('sha256', this.#master, 'tessera', `conjur-access-token:${accountId}`, 32))
      // The key's fingerprint, as Slosilo's kid is: it names the key without revealing it.
      entry = { key, kid: createHash('sha256').update(key).digest('hex') }
      this.#keys.set(accountId, entry)
    }
    return entry
  }

  /** Signs any claims: issue() for real tokens; tests sign odd ones. */
  sign (accountId: string, claims: Record<string, unknown>): AccessToken {
    const { key, kid } = this.#keyOf(accountId)
    const header = base64UrlPadded(JSON.stringify({ alg: ACCESS_TOKEN_ALG, kid, account: accountId }))
    const payload = base64UrlPadded(JSON.stringify(claims))
    const signature = base64UrlPadded(createHmac('sha256', key).update(`${header}.${payload}`).digest())
    return { protected: header, payload, signature }
  }

  issue (accountId: string, login: string, now: Date): AccessToken {
    const iat = Math.floor(now.getTime() / 1000)
    return this.sign(accountId, { iat, sub: login, exp: iat + ACCESS_TOKEN_TTL_SECONDS })
  }

  /** Verifies the base64 text of an access token's JSON, as sent in `Token token="…"`. No I/O. */
  verify (text: string, now: Date): VerifiedAccessToken | AccessTokenRefusal {
    const key = hash('sha256', text, 'base64')
    const known = this.#verified.get(key)
    if (known !== undefined) {
      if (now.getTime() < known.expiresAt.getTime()) return known
      this.#verified.delete(key)
    }
    const verdict = this.#verify(text, now)
    if (typeof verdict !== 'string') {
      if (this.#verified.size >= VERIFIED_CAP) this.#verified.clear()
      this.#verified.set(key, verdict)
    }
    return verdict
  }

  #verify (text: string, now: Date): VerifiedAccessToken | AccessTokenRefusal {
    const token = decodeJson(text)
    if (!isObject(token) || typeof token.protected !== 'string' || typeof token.payload !== 'string' || typeof token.signature !== 'string') {
      return 'Malformed authorization token'
    }
    const header = decodeJson(token.protected)
    if (!isObject(header) || header.alg !== ACCESS_TOKEN_ALG || typeof header.account !== 'string') return 'Unauthorized: Invalid token'
    const { key, kid } = this.#keyOf(header.account)
    const expected = createHmac('sha256', key).update(`${token.protected}.${token.payload}`).digest()
    if (header.kid !== kid || !constantTimeEqual(Buffer.from(token.signature, 'base64'), expected)) return 'Unauthorized: Invalid token'
    const claims = decodeJson(token.payload)
    if (!isObject(claims) || typeof claims.sub !== 'string' || typeof claims.iat !== 'number') return 'Unauthorized: Invalid token'
    if (Object.keys(claims).some((claim) => !KNOWN_CLAIMS.has(claim))) return 'token contains unrecognized claims'
    // Without exp, Slosilo allows 8 minutes from iat.
    const exp = typeof claims.exp === 'number' ? claims.exp : claims.iat + ACCESS_TOKEN_TTL_SECONDS
    if (now.getTime() >= exp * 1000) return 'Unauthorized: Invalid token'
    const cidr = Array.isArray(claims.cidr) ? claims.cidr.map(String) : undefined
    // Shared by the requests that present the same token: frozen.
    return Object.freeze({ accountId: header.account, login: claims.sub, issuedAt: new Date(claims.iat * 1000), expiresAt: new Date(exp * 1000), cidr: cidr && Object.freeze(cidr) })
  }
}

/** The strict base64 text of a token's JSON: what `Token token="…"` carries. */
export function encodeAccessToken (token: AccessToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64')
}
