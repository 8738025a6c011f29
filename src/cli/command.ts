import type { Operations } from './operations.js'

/** Exit codes of every CLI command (documented in docs/cli.md and in every help). */
export const EXIT = {
  ok: 0,
  /** The operation failed: not found, conflict, invalid input. */
  failed: 1,
  /** Unknown command or option, missing or extra argument. */
  usage: 2,
  /** Bad configuration, or the database or the server failed or is unreachable. */
  environment: 3,
  /** Remote mode: no session token, or the server refused it (expired, revoked): run `tessera login`. */
  notLoggedIn: 4
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

/** What a command runs with: its streams, and the operations, on the database or through a server. */
export interface CliContext extends CliIo {
  ops: Operations
  /** Remote mode only: logging in to the server and out. */
  session?: SessionControl
}

export interface LoginResult {
  url: string
  user: string
  /** The account the session is scoped to, if any. */
  account: { id: string, name: string } | null
  expires: string | null
}

export interface SessionControl {
  url: string
  /** Logs in with a password and keeps the session token in the credentials file. */
  login (user: string, password: string, account: string | undefined): Promise<LoginResult>
  /** Revokes the kept session on the server, and forgets it. */
  logout (): Promise<{ url: string, revoked: boolean, forgotten: boolean }>
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
