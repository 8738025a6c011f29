import type { CommandSpec, OptionSpec } from './command.js'

const PROGRAM = 'tessera'

/** Options every command takes. */
export const COMMON_OPTIONS: Record<string, OptionSpec & { short?: string }> = {
  json: { type: 'boolean', description: 'print one JSON object per line instead of text' },
  url: { type: 'string', value: 'URL', description: 'run through the admin API of the server at URL (default: TESSERA_URL; without either, on the database)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' }
}

const EXIT_CODES = 'Exit codes: 0 done, 1 the operation failed (not found, conflict, invalid input, forbidden),\n' +
  '2 usage error, 3 configuration, database or server error (unreachable, 5xx),\n' +
  '4 not logged in, or the server refused the session token (run tessera login).'

function columns (rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
}

function optionLabel (name: string, option: OptionSpec & { short?: string }): string {
  const flag = option.short ? `-${option.short}, --${name}` : `--${name}`
  return option.type === 'string' ? `${flag} ${option.value ?? 'VALUE'}` : flag
}

function optionUsage (name: string, option: OptionSpec): string {
  const text = option.type === 'string' ? `[--${name} ${option.value ?? 'VALUE'}]` : `[--${name}]`
  return option.multiple ? `${text}...` : text
}

export function usageLine (spec: CommandSpec): string {
  return [PROGRAM, spec.group, ...(spec.name === '' ? [] : [spec.name]),
    ...spec.arguments.map((argument) => `<${argument.name}>`),
    ...Object.entries(spec.options).map(([name, option]) => optionUsage(name, option)),
    '[--json]'].join(' ')
}

export function commandHelp (spec: CommandSpec): string {
  return [
    `Usage: ${usageLine(spec)}`,
    '',
    spec.summary,
    ...(spec.arguments.length ? ['', 'Arguments:', ...columns(spec.arguments.map((argument) => [`<${argument.name}>`, argument.description]))] : []),
    '',
    'Options:',
    ...columns(Object.entries({ ...spec.options, ...COMMON_OPTIONS }).map(([name, option]) => [optionLabel(name, option), option.description])),
    '',
    EXIT_CODES,
    ''
  ].join('\n')
}

function commandList (commands: CommandSpec[]): string[] {
  return columns(commands.map((spec) => [[spec.group, spec.name, ...spec.arguments.map((argument) => `<${argument.name}>`)].filter((word) => word !== '').join(' '), spec.summary.split(/(?<=\.) /)[0]!]))
}

export function groupHelp (group: string, commands: CommandSpec[]): string {
  return [
    `Usage: ${PROGRAM} ${group} <command> [options]`,
    '',
    'Commands:',
    ...commandList(commands),
    '',
    `Run '${PROGRAM} ${group} <command> --help' for a command's options.`,
    ''
  ].join('\n')
}

export function generalHelp (commands: CommandSpec[]): string {
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Operator commands. With TESSERA_URL (or --url) they go through the admin API of that',
    'running server, as the user of TESSERA_TOKEN or of `tessera login`. Without it they work',
    'on the database the server uses (DATABASE_URL, or the embedded database under DATA_DIR),',
    'applying pending migrations first. Accounts and users may be named by id or by name.',
    '',
    'Commands:',
    ...commandList(commands),
    '',
    'Every command takes --json (one JSON object per line), --url and --help.',
    `Run '${PROGRAM} <command> --help', e.g. '${PROGRAM} users create --help', for its options.`,
    '',
    EXIT_CODES,
    ''
  ].join('\n')
}
