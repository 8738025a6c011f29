import { Type } from 'typebox'
import type { KillSwitchWords } from '../../services/kill-switch-words.js'

/** Access tokens are signed, never stored: they cannot be counted, and all those issued so far end. */
export const ALL_ACCESS_TOKENS = 'all issued until now'

/** The reply's field for access tokens, in a user's kill switch and a host's. */
export const RevokedAccessTokensSchema = Type.Literal(ALL_ACCESS_TOKENS, { description: 'Conjur access tokens are signed, not stored: every one issued so far is refused' })

/** The family's part of a user's kill switch (revocation.ts), as the admin API and the CLI name it. */
export const conjurKillSwitch: KillSwitchWords = {
  fields: [
    { name: 'conjurAccessTokens', ofUser: 'held', credentials: 'Conjur access tokens', schema: RevokedAccessTokensSchema, example: ALL_ACCESS_TOKENS, ended: 'every Conjur access token issued until now' },
    { name: 'hostFactoryTokens', ofUser: 'made', credentials: 'host factory tokens', schema: Type.Integer({ description: 'Conjur host factory tokens the user made, on every account, revoked' }), example: 0 }
  ],
  // Its login answers with the user's API key.
  apiKeyLogin: 'a Conjur login',
  apiKeyReader: 'Conjur',
  otherMaker: 'a Conjur host'
}
