import type { CredentialMetrics } from '../../services/metrics.js'

/** Agent tokens are created and deleted; the kill switch deletes those the user made. */
export const agentTokenMetrics: CredentialMetrics = {
  issued: { 'agent-token.created': 'agent-token' },
  revoked: { 'agent-token.deleted': 'agent-token' },
  killSwitchCounts: { agentTokens: 'agent-token' },
  storedKinds: ['agent-token']
}
