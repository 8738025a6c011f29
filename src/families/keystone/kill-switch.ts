import type { KillSwitchWords } from '../../services/kill-switch-words.js'

/** The identity core's sessions and API keys the kill switch ends, as this API knows them. */
export const keystoneKillSwitch: KillSwitchWords = {
  fields: [],
  sessionIssuer: 'Keystone',
  apiKeyReader: 'Rackspace'
}
