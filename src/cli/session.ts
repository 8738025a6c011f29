import { createInterface } from 'node:readline/promises'
import { UsageError, type CliContext, type CommandSpec, type SessionControl } from './command.js'
import { readSecretLine } from './secret-input.js'

/** `tessera login` and `tessera logout`: a session on the server of TESSERA_URL (or --url), kept per user. */

function sessionOf (context: CliContext, command: string): SessionControl {
  if (!context.session) throw new UsageError(`${command} needs a server: set TESSERA_URL or pass --url`, command)
  return context.session
}

async function askUserName (context: CliContext): Promise<string> {
  const terminal = context.stdin.isTTY === true
  if (!terminal) throw new UsageError('--user is required when standard input is not a terminal', 'login')
  const prompt = createInterface({ input: context.stdin, output: context.stderr as NodeJS.WritableStream, terminal: true })
  try {
    return (await prompt.question('User name: ')).trim()
  } finally {
    prompt.close()
  }
}

export const sessionCommands: CommandSpec[] = [
  {
    group: 'login',
    name: '',
    summary: 'Log in to the server of TESSERA_URL (or --url) with a password, and keep the session token for the next commands ' +
      '(in $XDG_CONFIG_HOME/tessera/credentials.json, else ~/.config/tessera/credentials.json, readable by you only). The token is never printed.',
    arguments: [],
    options: {
      user: { type: 'string', value: 'NAME', description: 'the user name (asked on a terminal when absent)' },
      account: { type: 'string', value: 'ID', description: "the account (tenant id) to scope the session to; an operator working on every account scopes it to the administrators' account (default: the user's home account, if they hold a role on it)" },
      'password-stdin': { type: 'boolean', description: 'read the password from standard input, one line (for scripts); without it, it is asked without echo on a terminal' }
    },
    async run (input, context, print) {
      const session = sessionOf(context, 'login')
      const user = input.string('user') ?? await askUserName(context)
      if (context.stdin.isTTY !== true && !input.flag('password-stdin')) throw new UsageError('standard input is not a terminal: pass --password-stdin to read the password from it', 'login')
      const password = await readSecretLine(context.stdin, context.stderr, `Password for ${user}: `)
      const done = await session.login(user, password, input.string('account'))
      print.result(`logged in to ${done.url} as ${done.user}${done.account ? ` on account ${done.account.id} (${done.account.name})` : ', on no account'}` +
        `${done.expires ? `; the session expires at ${done.expires}` : ''}`, done)
    }
  },
  {
    group: 'logout',
    name: '',
    summary: 'Revoke the session kept by tessera login for the server of TESSERA_URL (or --url), and forget it.',
    arguments: [],
    options: {},
    async run (_input, context, print) {
      const done = await sessionOf(context, 'logout').logout()
      const text = done.forgotten
        ? `logged out of ${done.url}${done.revoked ? '' : ' (the server had already ended the session)'}`
        : `no session kept for ${done.url}`
      print.result(text, done)
    }
  }
]
