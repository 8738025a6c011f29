import type { TSchema } from 'typebox'
import { inWords } from '../core/in-words.js'
import type { RevokedInFamilies } from './revoke-credentials.js'

/**
 * How a family's part of a user's kill switch is named: by the admin API (its reply's schema and
 * descriptions) and by the CLI (its help and result line). Light: the CLI reads it at load.
 */
export interface KillSwitchWords {
  /** Its fields of the reply, from its revokeUserCredentials. */
  fields: readonly RevokedField[]
  /** Its API's name for the identity core's sessions, when it issues them ('Keystone'). */
  sessionIssuer?: string
  /** Its API's name, when it reads users' API keys ('Rackspace'). */
  apiKeyReader?: string
  /** Its login that would answer with a new API key ('a Conjur login'): why `disableLogin` is offered. */
  apiKeyLogin?: string
  /** A maker of its credentials that is no user ('a Conjur host'): what it makes is not counted. */
  otherMaker?: string
}

/** One field a family adds to the kill switch's reply (RevokedInFamilies). */
export interface RevokedField {
  name: keyof RevokedInFamilies
  /** Whether the user holds these credentials or made them for others to use. */
  ofUser: 'held' | 'made'
  /** The credentials, in the plural ('Astra tokens'). */
  credentials: string
  /** The field's schema in the admin API's reply. */
  schema: TSchema
  /** Its value in the reply's example. */
  example: unknown
  /** For a field that is no count: what ended, in the CLI's result line. */
  ended?: string
}

type WithKillSwitch = ReadonlyArray<{ killSwitch?: KillSwitchWords }>

/** The families' fields: those of credentials the user holds, then those of credentials the user made, each in the families' order. */
export function revokedFields (families: WithKillSwitch): { held: RevokedField[], made: RevokedField[] } {
  const fields = families.flatMap((family) => family.killSwitch?.fields ?? [])
  return { held: fields.filter(({ ofUser }) => ofUser === 'held'), made: fields.filter(({ ofUser }) => ofUser === 'made') }
}

/** One of the families' words, in the families' order. */
export function killSwitchWords (families: WithKillSwitch, word: 'sessionIssuer' | 'apiKeyReader' | 'apiKeyLogin' | 'otherMaker'): string[] {
  return families.flatMap((family) => family.killSwitch?.[word] ?? [])
}

/**
 * What the kill switch ends, in a sentence: the identity core's credentials (`core`), those the
 * user holds in the families, and the families' the user made (`made` lists their names).
 */
export function endedInWords (families: WithKillSwitch, core: readonly string[], made: (credentials: string[]) => string = inWords): string {
  const fields = revokedFields(families)
  const madeByUser = fields.made.length === 0 ? [] : [`and the ${made(fields.made.map(({ credentials }) => credentials))} the user made`]
  return [...core, ...fields.held.map(({ credentials }) => credentials), ...madeByUser].join(', ')
}
