import type { FamilyCli } from '../../cli/family-cli.js'
import { agentTokensKillSwitch } from './kill-switch.js'

/** No commands of its own: its agent tokens are ended by the user's kill switch, or one by accessor. */
export const agentTokensCli: FamilyCli = {
  killSwitch: agentTokensKillSwitch
}
