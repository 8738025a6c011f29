import { ConfigError, type Config } from '../config.js'
import { PasswordHasher, type CredentialTools } from '../core/credentials.js'
import { Fingerprints } from '../core/fingerprints.js'
import { parseSecretKey, SecretBox } from '../core/secrets.js'
import type { Database } from '../db/database.js'

/** Exit codes of every CLI command (documented in the README). */
export const EXIT = {
  ok: 0,
  /** The operation failed: not found, conflict, invalid input. */
  failed: 1,
  /** Unknown command or option, missing or extra argument. */
  usage: 2,
  /** Bad configuration, or the database failed or is unreachable. */
  environment: 3
} as const

export interface TextSink {
  write (text: string): unknown
}

/** Standard input: a pipe, a file, or a terminal (then read without echo). */
export type SecretSource = NodeJS.ReadableStream & {
  isTTY?: boolean
  setRawMode?: (raw: boolean) => unknown
}

export interface CliIo {
  stdout: TextSink
  stderr: TextSink
  stdin: SecretSource
}

export interface CliContext extends CliIo {
  db: Database
  config: Config
}

/** The password hasher of a command that sets passwords. */
export function passwordsOf (context: CliContext): PasswordHasher {
  return new PasswordHasher(context.config.passwordHashing)
}

/**
 * What a command that issues API keys needs: their sealed copies must open on the server
 * (Conjur's login shows a key again), so the server's key. Other commands run without it.
 */
export function credentialToolsOf (context: CliContext): CredentialTools {
  const key = context.config.secretKey === undefined ? null : parseSecretKey(context.config.secretKey)
  if (!key) throw new ConfigError('TESSERA_SECRET_KEY', 'is required to issue API keys: they are kept sealed under the server key (use the same key as the server)')
  return { box: new SecretBox(key), passwords: passwordsOf(context), fingerprints: new Fingerprints(key) }
}

export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  /** Placeholder for the value in help, e.g. `ID`. */
  value?: string
  description: string
}

export interface ArgumentSpec {
  name: string
  description: string
}

/** What a command reads from its command line, after parsing succeeded. */
export interface CommandInput {
  /** A required positional argument, by its name in the spec. */
  arg (name: string): string
  string (name: string): string | undefined
  strings (name: string): string[]
  flag (name: string): boolean
}

/** Prints a command's result: human-readable, or one JSON object per line with --json. */
export interface Printer {
  json: boolean
  /** One result: `lines` for people, `data` for --json. */
  result (lines: string | string[], data: object): void
  /** Rows of a list: a table for people, one JSON object per row for --json. */
  table<T> (rows: T[], columns: { header: string, value: (row: T) => string }[], data: (row: T) => object, empty: string): void
  /** Text written to stdout as it is, e.g. CSV. */
  raw (text: string): void
  /** A remark for the operator on stderr (never data a script would parse). */
  note (text: string): void
}

export interface CommandSpec {
  group: string
  name: string
  summary: string
  arguments: ArgumentSpec[]
  options: Record<string, OptionSpec>
  run (input: CommandInput, context: CliContext, print: Printer): Promise<void>
}

/** A wrong command line: exit code 2 with a hint to the command's help. */
export class UsageError extends Error {
  /** The command or group whose help the hint names, e.g. `users create`. */
  readonly topic: string | undefined
  constructor (message: string, topic?: string) {
    super(message)
    this.name = 'UsageError'
    this.topic = topic
  }
}

/** The operator gave up at a password prompt (Ctrl-C). */
export class Cancelled extends Error {
  constructor () {
    super('cancelled')
    this.name = 'Cancelled'
  }
}
