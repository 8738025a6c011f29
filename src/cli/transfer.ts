import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { ConfigError } from '../config.js'
import { InvalidInput } from '../core/errors.js'
import { parseSecretKey, SecretBox } from '../core/secrets.js'
import { CLI_CONTEXT } from '../services/audit.js'
import { exportHeader, exportLines } from '../services/transfer/export.js'
import { MAX_LINE_BYTES, type LineType } from '../services/transfer/format.js'
import { importLines, NotAnExport, type CountedType, type ImportSummary, type LineFailure } from '../services/transfer/import.js'
import type { CliContext, CommandSpec, Printer, TextSink } from './command.js'
import { readLines } from './line-reader.js'
import { createProgress, type ProgressSink } from './progress.js'

/** A sink that may say "wait" (a stream's write returns false): wait for its drain before writing on. */
async function write (sink: TextSink, text: string): Promise<void> {
  const emitter = sink as TextSink & { once?: unknown }
  if (sink.write(text) === false && typeof emitter.once === 'function') await once(emitter as unknown as NodeJS.EventEmitter, 'drain')
}

/**
 * The export, a page of lines a write; returns how many lines of each type. One read-only
 * snapshot (repeatable read): every line sees the same database, as pg_dump's do, however long
 * the export takes and whatever the server writes meanwhile.
 */
async function writeExport (context: CliContext, sink: TextSink): Promise<Partial<Record<LineType, number>>> {
  const counts: Partial<Record<LineType, number>> = {}
  await write(sink, `${JSON.stringify(exportHeader(new Date()))}\n`)
  await context.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (snapshot) => {
    for await (const page of exportLines(snapshot)) {
      for (const line of page) counts[line.type] = (counts[line.type] ?? 0) + 1
      await write(sink, page.map((line) => `${JSON.stringify(line)}\n`).join(''))
    }
  })
  return counts
}

/** Writes to a file only its owner may read (an existing file too): an export is as sensitive as a database backup. */
async function exportToFile (context: CliContext, path: string): Promise<Partial<Record<LineType, number>>> {
  let handle
  try {
    handle = await open(path, 'w', 0o600)
  } catch (error) {
    throw new InvalidInput(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const stream = handle.createWriteStream()
  try {
    await handle.chmod(0o600)
    const counts = await writeExport(context, stream)
    stream.end()
    await once(stream, 'finish')
    return counts
  } finally {
    stream.destroy()
    await once(stream, 'close').catch(() => undefined)
  }
}

function boxOf (context: CliContext): SecretBox {
  const key = context.config.secretKey === undefined ? null : parseSecretKey(context.config.secretKey)
  if (!key) throw new ConfigError('TESSERA_SECRET_KEY', "is required to import: credentials are sealed under the server key, and an export's sealed copies open only under the key that sealed them (use the server's key)")
  return new SecretBox(key)
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

const KINDS = 'accounts, users (with their roles and password hashes), host factories, hosts, users\' API keys, agent tokens, Astra tokens and host factory tokens'

/** `tessera export` and `tessera import`: moving identities and credentials between servers, and in from the system Tessera replaces. */
export const transferCommands: CommandSpec[] = [
  {
    group: 'export',
    name: '',
    summary: `Write every account, user, host factory, host and credential as JSON lines. The lines: ${KINDS}; no plaintext secret: credentials as the database keeps them (lookup hashes, and copies sealed under the server key). Keep an export as safe as a database backup.`,
    arguments: [],
    options: { output: { type: 'string', value: 'FILE', description: 'write to FILE (created or replaced, readable by its owner only) instead of standard output' } },
    async run (input, context, print) {
      const output = input.string('output')
      if (output === undefined) {
        const counts = await writeExport(context, context.stdout)
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
    summary: `Import accounts, users, host factories, hosts and credentials from JSON lines. An export of Tessera's, or ${KINDS} by value from the system being replaced (README: "Import and export"). What exists is skipped; each failed line is reported and the rest go on; exit code 1 when any line failed.`,
    arguments: [{ name: 'file', description: "the file to read ('-' for standard input)" }],
    options: {
      'dry-run': { type: 'boolean', description: 'check and write every line, then roll everything back' },
      'allow-admin-account': { type: 'boolean', description: 'let the file add users to the administrators\' account or give roles on it (super-admins)' }
    },
    async run (input, context, print) {
      const box = boxOf(context)
      const dryRun = input.flag('dry-run')
      const { stream, size } = await inputOf(input.arg('file'), context.stdin)
      const progress = createProgress(context.stderr as ProgressSink, size)
      let bytes = 0
      let summary: ImportSummary
      try {
        summary = await importLines(context.db, readLines(stream, MAX_LINE_BYTES, (read) => { bytes = read }), {
          tools: { box, now: new Date(), adminAccount: { id: context.config.admin.account, allowed: input.flag('allow-admin-account') }, failedUsers: new Set() },
          audit: CLI_CONTEXT,
          dryRun,
          onFailure: (failure) => printFailure(print, failure),
          onLine: (lines) => progress.update(lines, bytes)
        })
      } catch (error) {
        if (error instanceof NotAnExport) throw new InvalidInput(error.message)
        throw error
      }
      progress.done(summary.lines, bytes)
      printSummary(print, summary, dryRun)
      if (summary.failed > 0) throw new InvalidInput(`${summary.failed} of ${summary.lines - 1} lines failed${dryRun ? ' (dry run)' : ''}`)
    }
  }
]
