import type { CredentialMetrics } from '../../services/metrics.js'

/**
 * Host factory tokens, access tokens (signed, never stored: only their issue is counted) and
 * hosts' API keys, issued on enrolment and rotation and revoked by a host's kill switch.
 */
export const conjurMetrics: CredentialMetrics = {
  issued: {
    'host-factory-token.created': 'host-factory-token',
    'access-token.issued': 'conjur-access-token',
    'host.enrolled': 'host-api-key',
    'host-api-key.rotated': 'host-api-key'
  },
  revoked: { 'host-factory-token.revoked': 'host-factory-token' },
  killSwitchCounts: { hostFactoryTokens: 'host-factory-token' },
  apiKeys: { host: 'host-api-key' },
  storedKinds: ['host-factory-token', 'host-api-key']
}
