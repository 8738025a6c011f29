import type { FamilyRetention } from '../../services/retained-credentials.js'

/** Agent tokens are deleted when they end: retention only drops the use counts they leave. */
export const agentTokenRetention: FamilyRetention = {
  accessors: [{ table: 'agent_tokens', accessor: 'accessor' }]
}
