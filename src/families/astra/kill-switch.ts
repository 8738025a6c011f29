import { Type } from 'typebox'
import type { KillSwitchWords } from '../../services/kill-switch-words.js'

/** The family's part of a user's kill switch (revocation.ts), as the admin API and the CLI name it. */
export const astraKillSwitch: KillSwitchWords = {
  fields: [
    { name: 'astraTokens', ofUser: 'held', credentials: 'Astra tokens', schema: Type.Integer({ description: 'NetApp Astra API tokens revoked' }), example: 1 }
  ]
}
