import type { FamilyRetention } from '../../services/retained-credentials.js'

/** Expired host factory tokens stay stored until retention purges them; hosts' API keys are replaced, never ended. */
export const conjurRetention: FamilyRetention = {
  ended: [{ count: 'hostFactoryTokens', noun: 'host factory tokens', table: 'host_factory_tokens', key: 'token_sha256', accessor: 'accessor', endedAt: ['expiration'] }],
  accessors: [{ table: 'host_factory_tokens', accessor: 'accessor' }, { table: 'hosts', accessor: 'api_key_accessor' }]
}
