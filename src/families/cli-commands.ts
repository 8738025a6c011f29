import type { FamilyCli } from '../cli/family-cli.js'
import { agentTokensCli } from './agent-tokens/cli.js'
import { astraCli } from './astra/cli.js'
import { conjurCli } from './conjur/cli.js'

/**
 * What each family adds to the CLI, in the order of index.ts, whose twin it is for
 * the command line: the CLI must start without loading the families' Fastify routes, which
 * index.ts imports, so a family's commands live in its own light `cli.ts`.
 */
export const FAMILY_CLIS: readonly FamilyCli[] = [agentTokensCli, astraCli, conjurCli]
