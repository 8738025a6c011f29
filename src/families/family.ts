import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Principal } from '../core/principal.js'
import type { WatchedTables } from '../db/flush-on-write.js'
import type { ErrorDialect, NotFoundMessage } from '../plugins/errors/error-dialect.js'
import type { CredentialMetrics } from '../services/metrics.js'
import type { FamilyRetention } from '../services/retained-credentials.js'
import type { StoredCredentialType } from '../services/credentials.js'
import type { KillSwitchWords } from '../services/kill-switch-words.js'
import type { UserCredentialRevocation } from '../services/revoke-credentials.js'
import type { FamilyTransfer } from '../services/transfer/section.js'

/**
 * Everything the app needs to know of one API family. app.ts registers a list of these; auth,
 * OpenAPI, error rendering and log redaction read the list, and nothing else names a family.
 */
export interface TokenFamily {
  name: string
  /** Where the family's routes are mounted ('' for the root). */
  mount: string
  /** The plugin holding the family's routes, its body rules and reply headers; registered at `mount`. */
  routes: FastifyPluginAsync
  /** The largest request body its routes read (the original's limit); BODY_LIMIT_BYTES caps it. */
  maxBodyBytes: number
  /**
   * The URL prefixes whose errors this family renders, including those raised before any
   * route is known (a malformed URL, a request Node's parser refuses, an unknown route).
   * A prefix owns itself and what lies below it; `/` owns only the root path.
   */
  prefixes: readonly string[]
  dialect: ErrorDialect
  /** The family's message for an unknown route (Keystone quotes the URL); a generic one otherwise. */
  notFound?: NotFoundMessage
  openApi: {
    tags: ReadonlyArray<{ name: string, description: string }>
    securitySchemes?: Readonly<Record<string, Record<string, unknown>>>
  }
  /** The credentials the family issues, for plugins/auth. */
  credentials?: readonly CredentialKind[]
  /**
   * The header forms the family's API reads a credential from, the first present one winning
   * (plugins/auth). A header the original API does not read authenticates nothing here.
   */
  credentialHeaders: readonly CredentialScheme[]
  /**
   * What the family's hot reads keep in app.readCache depends on: the tables whose writes by this
   * process empty it at once. Other processes' updates and deletes reach it through a migration's
   * triggers; their inserts, within READ_CACHE_MS.
   */
  cachedReads?: WatchedTables
  /**
   * Path segments followed by a secret (a token in the URL), as the words before it:
   * `['v2.0', 'tokens']` redacts what follows `/v2.0/tokens/` from every log line.
   */
  secretPathSegments?: ReadonlyArray<readonly string[]>
  /** Query parameters whose values are secrets. */
  secretQueryParameters?: readonly string[]
  /**
   * Its tables whose changes no notification announces and whose staleness matters (a member
   * removed from a group that grants access): a streaming standby never answers their reads
   * (db/read-replicas.ts), whatever its replay.
   */
  primaryOnlyTables?: readonly string[]

  // What the family adds to the operator's tools (issue 25: the admin API; its CLI commands are
  // listed in families/cli-commands.ts, which the CLI loads without Fastify).
  /**
   * Routes the family adds to the admin API, for its administrators: the admin family mounts
   * them under its own prefix, with its credentials, error dialect and OpenAPI tag.
   */
  adminRoutes?: FastifyPluginAsync
  /** Its stored credentials, for retention: those kept once ended until the purge, and where use counts' accessors live. */
  retention?: FamilyRetention
  /** The audit events that issue and end its credentials, for the metrics' counters. */
  credentialMetrics?: CredentialMetrics

  // --- What the family adds to the identity core's plugins and services (issue 25, seam-core) ---
  /** Reply headers of its own a browser script may read, when CORS_ORIGINS allows the script (plugins/http/cors.ts). */
  exposedHeaders?: readonly string[]
  /** Whether its routes accept the identity core's sessions (plugins/auth/session-credential.ts) beside its own credentials. */
  acceptsSessions?: boolean
  /**
   * The kinds of stored credential it keeps, as rows of the credentials view (migration 0014):
   * how one is ended by its accessor, and whether a user's kill switch ends it (services/credentials.ts).
   */
  storedCredentials?: readonly StoredCredentialType[]
  /** What a user's kill switch ends in this family, and its fields of the reply (services/revoke-credentials.ts). */
  revokeUserCredentials?: UserCredentialRevocation

  // --- How the operator's tools name its part of the kill switch (issue 25, killswitch) ---
  /** Its fields of the kill switch's reply and its words for them: the admin API's schema and texts (FamilyCli.killSwitch is the same). */
  killSwitch?: KillSwitchWords

  // What the family adds to the export format (issue 25: `tessera export` and `import`, and the
  // admin API's): the lines of its own tables.
  /** The types of line its tables add, with how each is exported and imported. */
  transfer?: FamilyTransfer
}

/** The header forms a credential can arrive in. */
export type CredentialScheme =
  /** `X-Auth-Token: <secret>` (Keystone, Rackspace). */
  | 'x-auth-token'
  /** `Authorization: Bearer <secret>` (Astra; sessions too). */
  | 'bearer'
  /** `Authorization: Token token="<secret>"` (Conjur). */
  | 'token'

/**
 * One kind of credential: the header forms it arrives in, the shape of its secrets (so a
 * header is matched to exactly one kind, by format, and resolved once), the APIs it opens, and
 * its resolver.
 */
export interface CredentialKind extends WatchedTables {
  name: string
  schemes: readonly CredentialScheme[]
  format: RegExp
  /**
   * The families (TokenFamily.name) whose routes accept it: a credential works only in the API
   * that minted it, whatever header carries it. Any other API refuses it with its own 401,
   * before any lookup.
   */
  opens: readonly string[]
  /** The principal a well-formed secret stands for, or null: one hash and at most one indexed lookup. */
  resolve (secret: string, app: FastifyInstance, request: FastifyRequest): Promise<Principal | null>
  // WatchedTables: the tables whose updated or deleted rows can end a credential of this kind (a
  // migration's triggers notify the same changes), and those whose inserted rows change one (a
  // role granted). Resolvers that use app.credentialCache need them.
}
