import { parseArgs, type ParseArgsConfig } from 'node:util'
import { FAMILY_CLIS } from '../families/cli-commands.js'
import { accountCommands } from './accounts.js'
import { auditCommands } from './audit.js'
import { EXIT, UsageError, type CliContext, type CliIo, type CommandInput, type CommandSpec, type TextSink } from './command.js'
import { credentialCommands } from './credentials.js'
import { describeFailure } from './failure.js'
import { COMMON_OPTIONS, commandHelp, generalHelp, groupHelp } from './help.js'
import { sessionCommands } from './session.js'
import { createPrinter } from './printer.js'
import { retentionCommands } from './retention.js'
import { roleCommands } from './roles.js'
import { transferCommands } from './transfer.js'
import { userCommands } from './users.js'

export { EXIT, type CliContext, type CliIo } from './command.js'
export { describeFailure } from './failure.js'

export const COMMANDS: CommandSpec[] = [...sessionCommands, ...accountCommands, ...userCommands, ...roleCommands, ...FAMILY_CLIS.flatMap((family) => family.commands ?? []), ...auditCommands, ...credentialCommands, ...retentionCommands, ...transferCommands]

export type Invocation =
  | { kind: 'help', text: string }
  /** `help` is shown on stderr after the error (for a bare `tessera`). */
  | { kind: 'usage', error: UsageError, help?: string }
  /** `url`: --url, the server to run the command through (else TESSERA_URL, else the database). */
  | { kind: 'command', spec: CommandSpec, input: CommandInput, json: boolean, url: string | undefined }

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>

function isHelpFlag (arg: string | undefined): boolean {
  return arg === '--help' || arg === '-h'
}

function commandsOf (group: string): CommandSpec[] {
  return COMMANDS.filter((spec) => spec.group === group)
}

/** A command of one word (`tessera export`): its spec has an empty name. */
function topLevelCommand (word: string | undefined): CommandSpec | undefined {
  return COMMANDS.find((spec) => spec.group === word && spec.name === '')
}

function findCommand (group: string, name: string | undefined): CommandSpec {
  const commands = commandsOf(group)
  if (commands.length === 0) throw new UsageError(`unknown command '${group}'`)
  if (name === undefined) throw new UsageError(`'${group}' needs a command: ${commands.map((spec) => spec.name).join(', ')}`, group)
  const spec = commands.find((candidate) => candidate.name === name)
  if (!spec) throw new UsageError(`unknown command '${group} ${name}'`, group)
  return spec
}

function helpFor (topic: string[]): string {
  const [group, name, ...extra] = topic
  if (group === undefined) return generalHelp(COMMANDS)
  const topLevel = topLevelCommand(group)
  if (topLevel) {
    if (name !== undefined) throw new UsageError(`help takes a command, e.g. tessera help ${group}`)
    return commandHelp(topLevel)
  }
  if (name === undefined) {
    if (commandsOf(group).length === 0) throw new UsageError(`unknown command '${group}'`)
    return groupHelp(group, commandsOf(group))
  }
  if (extra.length > 0) throw new UsageError('help takes a command, e.g. tessera help users create')
  return commandHelp(findCommand(group, name))
}

function parseOptions (spec: CommandSpec, args: string[]): { values: Values, positionals: string[] } {
  const options: ParseArgsConfig['options'] = {}
  for (const [name, option] of Object.entries({ ...spec.options, ...COMMON_OPTIONS })) {
    options[name] = { type: option.type, ...(option.multiple ? { multiple: true } : {}), ...('short' in option && option.short ? { short: option.short } : {}) }
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as { values: Values, positionals: string[] }
  } catch (error) {
    // Node's first sentence names the option and never echoes its value.
    const sentence = (error as Error).message.split(/\.(?:\s|$)/)[0]!
    throw new UsageError(sentence.charAt(0).toLowerCase() + sentence.slice(1), `${spec.group} ${spec.name}`.trimEnd())
  }
}

function commandInput (spec: CommandSpec, values: Values, positionals: string[]): CommandInput {
  const topic = `${spec.group} ${spec.name}`.trimEnd()
  const missing = spec.arguments[positionals.length]
  if (missing) throw new UsageError(`missing argument <${missing.name}>`, topic)
  // The surplus is not echoed: it may be a password typed where it does not belong.
  if (positionals.length > spec.arguments.length) {
    throw new UsageError(`too many arguments: '${topic}' takes ${spec.arguments.length === 0 ? 'none' : spec.arguments.map((argument) => `<${argument.name}>`).join(' ')}`, topic)
  }
  const byName = new Map(spec.arguments.map((argument, index) => [argument.name, positionals[index]!]))
  return {
    arg (name) {
      const value = byName.get(name)
      if (value === undefined) throw new Error(`command ${topic} has no argument <${name}>`)
      return value
    },
    string: (name) => values[name] as string | undefined,
    strings: (name) => (values[name] as string[] | undefined) ?? [],
    flag: (name) => values[name] === true
  }
}

/** `tessera --json --url URL accounts list`: options every command takes may come before it too. */
function commonOptionsLast (argv: readonly string[]): string[] {
  const leading: string[] = []
  let index = 0
  for (; index < argv.length; index++) {
    const arg = argv[index]!
    if (arg === '--json' || arg.startsWith('--url=')) leading.push(arg)
    else if (arg === '--url' && index + 1 < argv.length) leading.push(arg, argv[++index]!)
    else break
  }
  const rest = argv.slice(index)
  // Before a `--`, after which every word is an argument.
  const end = rest.indexOf('--')
  return end === -1 ? [...rest, ...leading] : [...rest.slice(0, end), ...leading, ...rest.slice(end)]
}

function parse (args: readonly string[]): Invocation {
  const argv = commonOptionsLast(args)
  const [first, second, ...rest] = argv
  if (first === undefined) return { kind: 'usage', error: new UsageError('missing command'), help: generalHelp(COMMANDS) }
  if (first === 'help') return { kind: 'help', text: helpFor(argv.slice(1)) }
  if (isHelpFlag(first)) return { kind: 'help', text: generalHelp(COMMANDS) }
  const topLevel = topLevelCommand(first)
  if (topLevel) return commandInvocation(topLevel, argv.slice(1))
  if (isHelpFlag(second) && commandsOf(first).length > 0) return { kind: 'help', text: groupHelp(first, commandsOf(first)) }
  return commandInvocation(findCommand(first, second), rest)
}

function commandInvocation (spec: CommandSpec, rest: readonly string[]): Invocation {
  const endOfOptions = rest.indexOf('--')
  if ((endOfOptions === -1 ? rest : rest.slice(0, endOfOptions)).some(isHelpFlag)) return { kind: 'help', text: commandHelp(spec) }
  const { values, positionals } = parseOptions(spec, [...rest])
  return { kind: 'command', spec, input: commandInput(spec, values, positionals), json: values.json === true, url: values.url as string | undefined }
}

/** Parses a command line without touching the database: help and usage errors need none. */
export function parseInvocation (argv: readonly string[]): Invocation {
  try {
    return parse(argv)
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage', error }
    throw error
  }
}

function reportUsageError (error: UsageError, stderr: TextSink, help?: string): number {
  stderr.write(`tessera: ${error.message}\n`)
  if (help !== undefined) stderr.write(`\n${help}`)
  else stderr.write(`Run 'tessera ${error.topic ? `${error.topic} ` : ''}--help' for usage.\n`)
  return EXIT.usage
}

/** Answers help and usage errors; for a command invocation, use runInvocation. */
export function answerWithoutDatabase (invocation: Exclude<Invocation, { kind: 'command' }>, io: Pick<CliIo, 'stdout' | 'stderr'>): number {
  if (invocation.kind === 'usage') return reportUsageError(invocation.error, io.stderr, invocation.help)
  io.stdout.write(invocation.text)
  return EXIT.ok
}

export async function runInvocation (invocation: Extract<Invocation, { kind: 'command' }>, context: CliContext): Promise<number> {
  const print = createPrinter(context.stdout, context.stderr, invocation.json)
  try {
    await invocation.spec.run(invocation.input, context, print)
    return EXIT.ok
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(error, context.stderr)
    const { exitCode, message } = describeFailure(error)
    context.stderr.write(`tessera: ${message}\n`)
    return exitCode
  }
}

/** Runs one command line (argv without the program name) and returns its exit code. */
export async function runCli (argv: readonly string[], context: CliContext): Promise<number> {
  const invocation = parseInvocation(argv)
  if (invocation.kind !== 'command') return answerWithoutDatabase(invocation, context)
  return runInvocation(invocation, context)
}
