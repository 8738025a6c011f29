import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import type { KillSwitchWords } from '../services/kill-switch-words.js'
import type { FamilyRetention } from '../services/retained-credentials.js'
import type { CommandSpec } from './command.js'
import type { AdminClient } from './remote/client.js'

/** What a token family adds to the CLI: its commands, if it has any, and its words in the CLI's own. */
export interface FamilyCli {
  commands?: CommandSpec[]
  /** What the family reads users' sealed API keys for (their plaintext), for the note shown with a new key. */
  sealedApiKeyUse?: string
  /** The family's TokenFamily.retention, for what `tessera retention purge` names. */
  retention?: FamilyRetention
  /** The family's TokenFamily.killSwitch, for what `tessera users revoke-credentials` names. */
  killSwitch?: KillSwitchWords
}

/**
 * A family with commands, and the operations they call, on the database and through a server's
 * admin API. Both implementations load only when a command runs, so that help and parsing never
 * load the database layer.
 */
export interface FamilyCommands<Ops> extends FamilyCli {
  commands: CommandSpec[]
  local (): Promise<(db: Database, config: Config) => Ops>
  remote (): Promise<(client: AdminClient) => Ops>
}
