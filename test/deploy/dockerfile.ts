import { posix } from 'node:path'

export interface Instruction { keyword: string, args: string }
export interface Stage { name: string | undefined, base: string, workdir: string | undefined, instructions: Instruction[] }

/** The Dockerfile's instructions per stage (continuation lines joined, comments dropped). */
export function parseDockerfile (text: string): Stage[] {
  const stages: Stage[] = []
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim() }
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = instruction.args.split(/\s+/)
      const parent = stages.find((stage) => stage.name === base)
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, base, workdir: parent?.workdir, instructions: [] })
      continue
    }
    const stage = stages.at(-1)
    if (!stage) throw new Error(`${instruction.keyword} before FROM`)
    if (instruction.keyword === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir ?? '/', instruction.args)
    stage.instructions.push(instruction)
  }
  return stages
}

export function all (stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)
}

/** `ENV A=1 B=2` (the only ENV form used). */
export function envOf (stage: Stage): Record<string, string> {
  return Object.fromEntries(all(stage, 'ENV').flatMap((args) => args.split(/\s+/).map((pair) => pair.split('=') as [string, string])))
}

/** COPY [--from=X] <sources…> <destination>, with the destination made absolute. */
export function copiesOf (stage: Stage): { from: string | undefined, sources: string[], destination: string }[] {
  return all(stage, 'COPY').map((args) => {
    const words = args.split(/\s+/)
    const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length)
    const paths = words.filter((word) => !word.startsWith('--'))
    return { from, sources: paths.slice(0, -1), destination: posix.resolve(stage.workdir ?? '/', paths.at(-1)!) }
  })
}

export function execForm (args: string): string[] {
  const command = JSON.parse(args) as unknown
  if (!Array.isArray(command)) throw new Error(`not an exec-form command: ${args}`)
  return command as string[]
}

/** URL paths in a health check: after an origin (http://host:port/path) or opening a string ('/path'). */
export function healthPaths (command: string): string[] {
  return [...command.matchAll(/(?:https?:\/\/[^/'"\s]+|')(\/[A-Za-z0-9_./-]*)/g)].map((match) => match[1]!)
}
