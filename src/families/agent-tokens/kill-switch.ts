import { Type } from 'typebox'
import type { KillSwitchWords } from '../../services/kill-switch-words.js'

/** The family's part of a user's kill switch (revocation.ts), as the admin API and the CLI name it. */
export const agentTokensKillSwitch: KillSwitchWords = {
  fields: [
    { name: 'agentTokens', ofUser: 'made', credentials: 'agent tokens', schema: Type.Integer({ description: 'Rackspace Monitoring agent tokens the user made, in every tenant, deleted' }), example: 0 }
  ]
}
