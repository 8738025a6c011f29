import type { CredentialMetrics } from '../../services/metrics.js'

/** Users' API tokens: created, and revoked (by their user, an administrator or the kill switch). */
export const astraMetrics: CredentialMetrics = {
  issued: { 'astra-token.created': 'astra-token' },
  revoked: { 'astra-token.revoked': 'astra-token' },
  killSwitchCounts: { astraTokens: 'astra-token' },
  storedKinds: ['astra-token']
}
