import { Type } from 'typebox'
import { inWords } from '../../core/in-words.js'
import { killSwitchKinds } from '../../services/credentials.js'
import { killSwitchWords, revokedFields } from '../../services/kill-switch-words.js'
import type { TokenFamily } from '../family.js'
import { DryRunQuerySchema } from './schemas.js'

/** The kill switch's query and reply, with what the families add to it (TokenFamily.killSwitch). */

export function revokeUserQuerySchema (families: readonly TokenFamily[]) {
  const logins = killSwitchWords(families, 'apiKeyLogin')
  const why = logins.length === 0 ? '' : ` (${inWords(logins, 'or')} would mint a new API key)`
  return Type.Object({
    dryRun: DryRunQuerySchema.properties.dryRun,
    disableLogin: Type.Optional(Type.Boolean({ default: false, description: `true: also remove the password, so that no login${why} works until one is set again` }))
  })
}

export function revokedUserCredentialsSchema (families: readonly TokenFamily[]) {
  const { held, made } = revokedFields(families)
  const fields = [...held, ...made]
  const kinds = killSwitchKinds(families)
  const issuers = killSwitchWords(families, 'sessionIssuer')
  const readers = killSwitchWords(families, 'apiKeyReader')
  const otherMakers = killSwitchWords(families, 'otherMaker').map((maker) => `, or by ${maker},`).join('')
  return Type.Object({
    dryRun: Type.Boolean(),
    sessions: Type.Integer({ description: `Live ${[...issuers, 'sessions'].join(' ')} (X-Auth-Token, bearer) ended` }),
    apiKeyRevoked: Type.Boolean({ description: `Whether an API key${readers.length === 0 ? '' : ` (${readers.join(', ')})`} was removed` }),
    ...Object.fromEntries(fields.map(({ name, schema }) => [name, schema])),
    loginDisabled: Type.Boolean({ description: 'Whether logins were disabled too (disableLogin=true)' }),
    credentials: Type.Optional(Type.Array(Type.Object({
      kind: Type.String({ description: inWords([...kinds.held, ...kinds.made], 'or') }),
      accessor: Type.String({ description: 'The credential\'s non-secret handle' })
    }), { description: 'Dry run only: what would end, by kind and accessor (the first 1000)' }))
  }, {
    description: `Tokens made before migration 0013${otherMakers} record no maker and are not counted here`,
    examples: [{ dryRun: false, sessions: 2, apiKeyRevoked: true, ...Object.fromEntries(fields.map(({ name, example }) => [name, example])), loginDisabled: false }]
  })
}
