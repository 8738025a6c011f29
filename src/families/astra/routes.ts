import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Forbidden } from '../../core/errors.js'
import type { ReadCache } from '../../core/notified-cache.js'
import { RenderedOnce } from '../../core/rendered-once.js'
import { ADMIN_ROLE, hasRoleOn } from '../../core/principal.js'
import { presentsAcceptedCredential, principalOf, requireAuthentication } from '../../plugins/auth/auth.js'
import { baseUrlOf } from '../../plugins/http/base-url.js'
import { negotiatedMediaType } from './accept.js'
import { parseListQuery, unsupportedParams } from './list-query.js'
import { COLLECTION_TYPE, etagOf, RESOURCE_VERSION, TOKEN_MEDIA_TYPE } from './resource.js'
import {
  CollectionParamsSchema, CreatedReplySchema, DeletedReplySchema, IfMatchHeadersSchema, ListQuerySchema, ListReplySchema, NewTokenSchema,
  problemReplies, ReplacedReplySchema, TokenParamsSchema, TokenReplacementSchema, TokenReplySchema
} from './schemas.js'
import { collectionExists, collectionNotFound, createUserToken, getUserToken, listUserTokenPage, replaceUserToken, revokeUserToken, type Collection, type TokenListPage } from './tokens.js'
import { audited } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'

const TAGS = ['astra']
const BODY_MEDIA_TYPES = [TOKEN_MEDIA_TYPE, 'application/json']
const security = [{ astraApiToken: [] }]
/** Roles on the account that manage every user's tokens there (spec §B1, Tessera's rule). */
const MANAGER_ROLES = [ADMIN_ROLE, 'owner']
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const ASTRA_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000)$/

function readCacheOf (request: FastifyRequest): ReadCache {
  return { cache: request.server.readCache, now: request.server.clock() }
}

function collectionOf (request: FastifyRequest): Collection {
  const { account_id: accountId, user_id: userId } = request.params as { account_id: string, user_id: string }
  return { accountId, userId }
}

/**
 * onRequest, after authentication: the collection must exist (404 problem 2: an id Astra's
 * schema refuses cannot name one), then the caller must be its user or hold admin or owner on
 * the account (403 problem 11). Runs before the body is read.
 */
async function requireTokenManager (request: FastifyRequest): Promise<void> {
  const caller = await principalOf(request)
  const collection = collectionOf(request)
  if (!await collectionCheck(request)) throw collectionNotFound(collection)
  const manages = caller.kind === 'user' && caller.accountId === collection.accountId &&
    (caller.id === collection.userId || MANAGER_ROLES.some((role) => hasRoleOn(caller, collection.accountId, role)))
  if (!manages) throw new Forbidden('user tokens')
}
const tokenManager = [checkCollectionEarly, requireAuthentication, requireTokenManager]

const collectionChecks = new WeakMap<FastifyRequest, Promise<boolean>>()

/** Whether the path's collection exists (an id Astra's schema refuses names none), asked once per request. */
function collectionCheck (request: FastifyRequest): Promise<boolean> {
  let check = collectionChecks.get(request)
  if (!check) {
    const collection = collectionOf(request)
    check = ASTRA_ID.test(collection.accountId) && UUID_V4.test(collection.userId)
      ? collectionExists(request.server.db, collection, readCacheOf(request))
      : Promise.resolve(false)
    // Awaited only once the caller is authenticated; a caller refused first never awaits it.
    check.catch(() => {})
    collectionChecks.set(request, check)
  }
  return check
}

/**
 * onRequest, before authentication: the collection's check starts beside the caller's lookup,
 * so both statements go out in the same turn (one round trip instead of two).
 */
async function checkCollectionEarly (request: FastifyRequest): Promise<void> {
  if (presentsAcceptedCredential(request)) collectionCheck(request)
}

/** A cached page of a token list as sent, and its ETag: made once while the read cache holds the page. */
const renderedPages = new RenderedOnce<TokenListPage, { payload: string, etag: string }>(1)

/** Operations on one token take no query parameters (problem 6). */
async function refuseQuery (request: FastifyRequest): Promise<void> {
  const names = Object.keys(request.query as Record<string, unknown>)
  if (names.length > 0) throw unsupportedParams(names)
}

/** A token's media type as Accept (with its q-values) asks for it, else application/json (spec §B1; accept.ts). */
function resourceMediaType (request: FastifyRequest): string {
  return negotiatedMediaType(request.headers.accept)
}

function sendJson (reply: FastifyReply, statusCode: number, mediaType: string, body: unknown): FastifyReply {
  return reply.code(statusCode).type(mediaType).send(body)
}

function tokenUrl (request: FastifyRequest, collection: Collection, id: string): string {
  return `${baseUrlOf(request)}/accounts/${collection.accountId}/core/v1/users/${collection.userId}/tokens/${id}`
}

const astraRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  const collectionPath = '/:account_id/core/v1/users/:user_id/tokens'
  const tokenPath = `${collectionPath}/:token_id`

  app.post(collectionPath, {
    config: { secret: true },
    onRequest: tokenManager,
    preValidation: refuseQuery,
    schema: {
      tags: TAGS,
      operationId: 'createUserToken',
      summary: 'Create an API token for a user (the secret is shown in this reply only)',
      description: 'The user themselves, or an admin or owner of the account. Body as application/astra-token+json or application/json. ' +
        'The reply is application/astra-token+json when Accept asks for it, else application/json.',
      security,
      params: CollectionParamsSchema,
      consumes: BODY_MEDIA_TYPES,
      body: NewTokenSchema,
      response: { 201: CreatedReplySchema, ...problemReplies(400, 401, 403, 404, 409, 413, 500, 503) }
    }
  }, async (request, reply) => {
    const collection = collectionOf(request)
    const caller = await principalOf(request)
    const { resource, token } = await audited(db, auditContextOf(request), (trx) => createUserToken(trx, collection, request.body, caller.id),
      (made) => ({ kind: 'astra-token.created', accountId: collection.accountId, object: { type: 'astra-token', id: made.resource.id }, details: { userId: collection.userId } }))
    request.log.info({ accountId: collection.accountId, userId: collection.userId, tokenId: resource.id }, 'astra token created')
    reply.header('location', tokenUrl(request, collection, resource.id)).header('etag', etagOf(resource))
    return sendJson(reply, 201, resourceMediaType(request), { ...resource, token })
  })

  app.get(collectionPath, {
    onRequest: tokenManager,
    schema: {
      tags: TAGS,
      operationId: 'listUserTokens',
      summary: 'List a user\'s API tokens, a page at a time',
      description: 'Keyset pages: metadata.continue resumes after the last token shown, so pages neither skip nor repeat tokens while ' +
        'others are created. Without orderBy, by id. Patterns broken: problem 5; unknown parameters: problem 6.',
      security,
      params: CollectionParamsSchema,
      querystring: ListQuerySchema,
      response: { 200: ListReplySchema, ...problemReplies(400, 401, 403, 404, 500, 503) }
    }
  }, async (request, reply) => {
    const listRequest = parseListQuery(request.query as Record<string, string | undefined>)
    const page = await listUserTokenPage(db, collectionOf(request), listRequest, readCacheOf(request))
    const { payload, etag } = renderedPages.get(page, '', () => {
      const metadata: Record<string, unknown> = { labels: [] }
      if (page.continue !== undefined) metadata.continue = page.continue
      if (page.count !== undefined) metadata.count = page.count
      // Serialized here so that the ETag is the hex MD5 of the very JSON sent (spec §B1).
      const text = String(reply.code(200).serialize({ type: COLLECTION_TYPE, version: RESOURCE_VERSION, items: page.items, metadata }))
      return { payload: text, etag: `"${createHash('md5').update(text).digest('hex')}"` }
    })
    reply.code(200).header('etag', etag)
    return sendJson(reply, 200, resourceMediaType(request), payload)
  })

  app.get(tokenPath, {
    onRequest: tokenManager,
    preValidation: refuseQuery,
    schema: {
      tags: TAGS,
      operationId: 'getUserToken',
      summary: 'Read one API token (never its secret)',
      description: 'An unknown token is problem 2, as Astra documents. ETag: the quoted hex MD5 of the JSON resource.',
      security,
      params: TokenParamsSchema,
      response: { 200: TokenReplySchema, ...problemReplies(400, 401, 403, 404, 500, 503) }
    }
  }, async (request, reply) => {
    const resource = await getUserToken(db, collectionOf(request), request.params.token_id)
    reply.header('etag', etagOf(resource))
    return sendJson(reply, 200, resourceMediaType(request), resource)
  })

  app.put(tokenPath, {
    onRequest: tokenManager,
    preValidation: refuseQuery,
    schema: {
      tags: TAGS,
      operationId: 'replaceUserToken',
      summary: 'Replace a token\'s name and labels',
      description: 'Keeps the server-owned values (id, userID, creation time and creator: a different value is problem 10) and the secret; ' +
        'sets modifiedBy and moves modificationTimestamp. If-Match (or If-Unmodified-Since) that does not hold: 412.',
      security,
      params: TokenParamsSchema,
      headers: IfMatchHeadersSchema,
      consumes: BODY_MEDIA_TYPES,
      body: TokenReplacementSchema,
      response: { 204: ReplacedReplySchema, ...problemReplies(400, 401, 403, 404, 409, 412, 413, 500, 503) }
    }
  }, async (request, reply) => {
    const collection = collectionOf(request)
    const caller = await principalOf(request)
    const preconditions = { ifMatch: request.headers['if-match'], ifUnmodifiedSince: request.headers['if-unmodified-since'] }
    const resource = await audited(db, auditContextOf(request), (trx) => replaceUserToken(trx, collection, request.params.token_id, request.body, caller.id, preconditions),
      () => ({ kind: 'astra-token.changed', accountId: collection.accountId, object: { type: 'astra-token', id: request.params.token_id }, details: { userId: collection.userId } }))
    request.log.info({ accountId: collection.accountId, userId: collection.userId, tokenId: resource.id }, 'astra token replaced')
    return reply.code(204).header('etag', etagOf(resource)).send(null)
  })

  app.delete(tokenPath, {
    onRequest: tokenManager,
    preValidation: refuseQuery,
    schema: {
      tags: TAGS,
      operationId: 'deleteUserToken',
      summary: 'Delete (revoke) a token: its bearer value is refused from now on, on every replica',
      description: 'No query string is accepted (400). A token manager may delete any of the user\'s tokens; 404 when the token is not the user\'s or already deleted.',
      security,
      params: TokenParamsSchema,
      response: { 204: DeletedReplySchema, ...problemReplies(400, 401, 403, 404, 500, 503) }
    }
  }, async (request, reply) => {
    const collection = collectionOf(request)
    await audited(db, auditContextOf(request), (trx) => revokeUserToken(trx, collection, request.params.token_id),
      () => ({ kind: 'astra-token.revoked', accountId: collection.accountId, object: { type: 'astra-token', id: request.params.token_id }, details: { userId: collection.userId } }))
    request.log.info({ accountId: collection.accountId, userId: collection.userId, tokenId: request.params.token_id }, 'astra token revoked')
    return reply.code(204).send(null)
  })
}

export default astraRoutes
