import type { FamilyCli } from '../../cli/family-cli.js'
import { agentTokensKillSwitch } from './kill-switch.js'

/** No commands of its own: only its words in a user's kill switch. */
export const agentTokensCli: FamilyCli = {
  killSwitch: agentTokensKillSwitch
}
