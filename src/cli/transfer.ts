import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { InvalidInput } from '../core/errors.js'
import type { CountedType, ImportSummary, LineFailure } from '../services/transfer/import.js'
import type { ExportCounts } from '../services/transfer/run.js'
import type { CliContext, CommandSpec, Printer } from './command.js'
import { createProgress, type ProgressSink } from './progress.js'

/** Writes to a file only its owner may read (an existing file too): an export is as sensitive as a database backup. */
async function exportToFile (context: CliContext, path: string): Promise<ExportCounts> {
  let handle
  try {
    handle = await open(path, 'w', 0o600)
  } catch (error) {
    throw new InvalidInput(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const stream = handle.createWriteStream()
  try {
    await handle.chmod(0o600)
    const counts = await context.ops.exportTo(stream)
    stream.end()
    await once(stream, 'finish')
    return counts
  } finally {
    stream.destroy()
    await once(stream, 'close').catch(() => undefined)
  }
}

async function inputOf (path: string, stdin: CliContext['stdin']): Promise<{ stream: AsyncIterable<Buffer | string>, size: number | undefined }> {
  if (path === '-') return { stream: stdin as unknown as AsyncIterable<Buffer | string>, size: undefined }
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new InvalidInput(`cannot read ${path}: not a file`)
    return { stream: createReadStream(path), size: info.size }
  } catch (error) {
    if (error instanceof InvalidInput) throw error
    throw new InvalidInput(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

function printFailure (print: Printer, failure: LineFailure): void {
  print.result(`line ${failure.line} (${failure.type}): ${failure.reason}`, failure)
}

function printSummary (print: Printer, summary: ImportSummary, dryRun: boolean): void {
  const types = (Object.entries(summary.counts) as Array<[CountedType, ImportSummary['counts'][CountedType]]>)
    .filter(([, counts]) => counts.imported + counts.skipped + counts.failed > 0)
  const total = { imported: 0, skipped: 0, failed: 0 }
  for (const [, counts] of types) {
    total.imported += counts.imported
    total.skipped += counts.skipped
    total.failed += counts.failed
  }
  if (print.json) {
    print.result('', { summary: true, dryRun, ...total, byType: Object.fromEntries(types) })
    return
  }
  print.table([...types, ['total', total] as const], [
    { header: 'TYPE', value: ([type]) => type },
    { header: 'IMPORTED', value: ([, counts]) => String(counts.imported) },
    { header: 'SKIPPED', value: ([, counts]) => String(counts.skipped) },
    { header: 'FAILED', value: ([, counts]) => String(counts.failed) }
  ], () => ({}), 'nothing to import')
  if (dryRun) print.note('dry run: nothing was written')
}

// The families' lines are not listed here: the CLI's help loads no family's export code.
const KINDS = 'accounts, users (with their roles and password hashes), users\' API keys, and each token family\'s objects and credentials (docs/import-export.md lists them)'

/** `tessera export` and `tessera import`: moving identities and credentials between servers, and in from the system Tessera replaces. */
export const transferCommands: CommandSpec[] = [
  {
    group: 'export',
    name: '',
    summary: `Write every identity and credential as JSON lines. The lines: ${KINDS}; no plaintext secret: credentials as the database keeps them (lookup hashes, and copies sealed under the server key). Keep an export as safe as a database backup.`,
    arguments: [],
    options: { output: { type: 'string', value: 'FILE', description: 'write to FILE (created or replaced, readable by its owner only) instead of standard output' } },
    async run (input, context, print) {
      const output = input.string('output')
      if (output === undefined) {
        const counts = await context.ops.exportTo(context.stdout)
        print.note(`tessera: exported ${Object.values(counts).reduce((sum, n) => sum + n, 0)} lines`)
        return
      }
      const counts = await exportToFile(context, output)
      const lines = Object.values(counts).reduce((sum, n) => sum + n, 0)
      print.result(`exported ${lines} lines to ${output}: ${Object.entries(counts).map(([type, n]) => `${n} ${type}`).join(', ') || 'nothing'}`, { output, lines, byType: counts })
    }
  },
  {
    group: 'import',
    name: '',
    summary: `Import identities and credentials from JSON lines. An export of Tessera's, or ${KINDS} by value from the system being replaced (README: "Import and export"). What exists is skipped; each failed line is reported and the rest go on; exit code 1 when any line failed.`,
    arguments: [{ name: 'file', description: "the file to read ('-' for standard input)" }],
    options: {
      'dry-run': { type: 'boolean', description: 'check and write every line, then roll everything back' },
      'allow-admin-account': { type: 'boolean', description: 'let the file add users to the administrators\' account or give roles on it (super-admins)' }
    },
    async run (input, context, print) {
      const dryRun = input.flag('dry-run')
      const { stream, size } = await inputOf(input.arg('file'), context.stdin)
      const progress = createProgress(context.stderr as ProgressSink, size)
      let bytes = 0
      const summary = await context.ops.importFrom({
        lines: stream,
        dryRun,
        allowAdminAccount: input.flag('allow-admin-account'),
        onFailure: (failure) => printFailure(print, failure),
        onProgress: (lines, read) => { bytes = read; progress.update(lines, read) }
      })
      progress.done(summary.lines, bytes)
      printSummary(print, summary, dryRun)
      if (summary.failed > 0) throw new InvalidInput(`${summary.failed} of ${summary.lines - 1} lines failed${dryRun ? ' (dry run)' : ''}`)
    }
  }
]
