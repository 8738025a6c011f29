import admin from './admin/index.js'
import agentTokens from './agent-tokens/index.js'
import astra from './astra/index.js'
import conjur from './conjur/index.js'
import type { TokenFamily } from './family.js'
import keystone from './keystone/index.js'

/** The one list a token family joins (see docs/architecture.md, "Adding a token family"). */
export const FAMILIES: readonly TokenFamily[] = [keystone, agentTokens, astra, admin, conjur]
