import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { requireAuthentication } from '../../plugins/auth/auth.js'
import { AstraNotFound } from './dialect.js'
import { CollectionParamsSchema, problemReplies, TokenParamsSchema } from './schemas.js'

/**
 * The group-scoped twins of the token paths (spec §B0):
 * /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens[/{token_id}]. In
 * Astra they reach a user's tokens through a group the user belongs to. Tessera has no groups
 * (no LDAP groups are imported), so no such collection exists: after authentication (401
 * problems 3 and 4 first, as on the user paths) every request is 404 problem 2 "Collection not
 * found", which is what Astra answers for a group that does not exist. Nothing else is read.
 */

const TAGS = ['astra']
const security = [{ astraApiToken: [] }]
const GROUP_ID = { group_id: Type.String({ description: 'Group id. Tessera has no groups: every group is problem 2', examples: ['0b6f7a52-8d3c-4e1f-a9b2-5c7d9e1f3a40'] }) }
const GroupCollectionParamsSchema = Type.Object({ account_id: CollectionParamsSchema.properties.account_id, ...GROUP_ID, user_id: CollectionParamsSchema.properties.user_id })
const GroupTokenParamsSchema = Type.Object({ ...GroupCollectionParamsSchema.properties, token_id: TokenParamsSchema.properties.token_id })

async function noGroupCollection (request: FastifyRequest): Promise<void> {
  const { group_id: groupId } = request.params as { group_id: string }
  throw new AstraNotFound(2, `group ${groupId} does not exist`, { type: 'Group', key: groupId })
}
const groupCollection = [requireAuthentication, noGroupCollection]

const DESCRIPTION = 'The group-scoped twin of the user path (Astra). Tessera has no groups: after authentication, always 404 problem 2.'
const notReached = async () => { throw new Error('a group collection never exists') }

const astraGroupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const collectionPath = '/:account_id/core/v1/groups/:group_id/users/:user_id/tokens'
  const tokenPath = `${collectionPath}/:token_id`
  const operations = [
    ['POST', collectionPath, 'createGroupUserToken', 'Create an API token for a user of a group', GroupCollectionParamsSchema],
    ['GET', collectionPath, 'listGroupUserTokens', 'List the API tokens of a user of a group', GroupCollectionParamsSchema],
    ['GET', tokenPath, 'getGroupUserToken', 'Read one API token of a user of a group', GroupTokenParamsSchema],
    ['PUT', tokenPath, 'replaceGroupUserToken', 'Replace a token of a user of a group', GroupTokenParamsSchema],
    ['DELETE', tokenPath, 'deleteGroupUserToken', 'Delete a token of a user of a group', GroupTokenParamsSchema]
  ] as const
  for (const [method, url, operationId, summary, params] of operations) {
    app.route({
      method,
      url,
      onRequest: groupCollection,
      schema: { tags: TAGS, operationId, summary, description: DESCRIPTION, security, params, response: problemReplies(401, 404, 500, 503) },
      handler: notReached
    })
  }
}

export default astraGroupRoutes
