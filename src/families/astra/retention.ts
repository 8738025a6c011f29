import type { FamilyRetention } from '../../services/retained-credentials.js'

/** Revoked tokens stay stored (a refusal says "revoked") until retention purges them. */
export const astraRetention: FamilyRetention = {
  ended: [{ count: 'astraTokens', noun: 'Astra tokens', table: 'user_tokens', key: 'secret_hash', accessor: 'id', endedAt: ['revoked_at'] }],
  accessors: [{ table: 'user_tokens', accessor: 'id' }]
}
