import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../src/cli/index.js'
import { localOperations } from '../src/cli/local-operations.js'
import { randomHex } from '../src/core/secrets.js'
import { openBenchDatabase, printTable } from './lib.js'

/**
 * `tessera import` of agent tokens by value (issue 21, item 5: 100 000 in under 60 s), on
 * PostgreSQL in a throwaway database: writes a file of BENCH_IMPORT_TOKENS tokens (default
 * 100 000) of one tenant, imports it through the CLI's code path (reading, checking, hashing,
 * sealing, batched writes), then lists every token through the Monitoring API and checks that
 * each original value comes back and reads by its id; then imports the file again (all
 * skipped). Run: npm run bench -- import-agent-tokens (BENCH_DATABASE_URL as bench/lib.ts).
 */
const TOKENS = Number(process.env.BENCH_IMPORT_TOKENS ?? 100_000)
const TENANT = '515151'
const PAGE = 1000

async function writeFile (path: string, passwordHash: string): Promise<string[]> {
  const out = createWriteStream(path)
  const write = async (line: object) => { if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain') }
  await write({ type: 'tessera-export', version: 1, source: 'bench/import-agent-tokens.ts' })
  await write({ type: 'account', id: TENANT, name: 'bench-import' })
  await write({ type: 'user', account: TENANT, name: 'bench-import-admin', passwordHash, roles: [{ account: TENANT, role: 'admin' }] })
  const values: string[] = []
  for (let index = 0; index < TOKENS; index++) {
    const value = `${randomHex(32)}.${TENANT}`
    values.push(value)
    await write({ type: 'agent-token', account: TENANT, label: `agent-${index}`, value })
  }
  out.end()
  await once(out, 'finish')
  return values
}

async function importFile (bench: Awaited<ReturnType<typeof openBenchDatabase>>, path: string): Promise<{ seconds: number, summary: Record<string, unknown> }> {
  let stdout = ''
  let stderr = ''
  const started = performance.now()
  const code = await runCli(['import', path, '--json'], {
    ops: localOperations(bench.db, bench.app.config),
    stdin: process.stdin,
    stdout: { write: (text: string) => { stdout += text } },
    stderr: { write: (text: string) => { stderr += text } }
  })
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`import exited ${code}: ${stderr}${stdout.slice(0, 2000)}`)
  return { seconds, summary: JSON.parse(stdout.trim().split('\n').at(-1)!) }
}

async function main (): Promise<void> {
  const bench = await openBenchDatabase('postgres')
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-import-'))
  try {
    const password = 'bench-import-password'
    const file = join(dir, 'tokens.jsonl')
    const values = await writeFile(file, await bench.app.credentialTools.passwords.hash(password))
    const size = (await stat(file)).size

    const first = await importFile(bench, file)
    if (first.summary.imported !== TOKENS + 2) throw new Error(`imported ${String(first.summary.imported)}, expected ${TOKENS + 2}`)

    // Every original value, listed a page at a time through the API, then a sample read by id.
    const login = await bench.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: 'bench-import-admin', password }, tenantId: TENANT } } })
    const session = login.json().access.token.id as string
    const listedStarted = performance.now()
    const listed = new Set<string>()
    for (let marker: string | undefined; ;) {
      const response = await bench.app.inject({ url: `/v1.0/${TENANT}/agent_tokens?limit=${PAGE}${marker ? `&marker=${marker}` : ''}`, headers: { 'x-auth-token': session } })
      if (response.statusCode !== 200) throw new Error(`list: ${response.statusCode} ${response.body}`)
      const body = response.json() as { values: Array<{ id: string }>, metadata: { next_marker: string | null } }
      for (const token of body.values) listed.add(token.id)
      marker = body.metadata.next_marker ?? undefined
      if (!marker) break
    }
    const listSeconds = (performance.now() - listedStarted) / 1000
    const missing = values.filter((value) => !listed.has(value)).length
    if (missing > 0 || listed.size !== TOKENS) throw new Error(`listed ${listed.size} tokens, ${missing} originals missing`)
    for (const value of [values[0]!, values[Math.floor(TOKENS / 2)]!, values.at(-1)!]) {
      const read = await bench.app.inject({ url: `/v1.0/${TENANT}/agent_tokens/${value}`, headers: { 'x-auth-token': session } })
      if (read.statusCode !== 200 || read.json().id !== value) throw new Error(`read: ${read.statusCode} ${read.body}`)
    }

    const again = await importFile(bench, file)
    if (again.summary.skipped !== TOKENS + 2) throw new Error(`second run skipped ${String(again.summary.skipped)}`)

    printTable(`tessera import: ${TOKENS.toLocaleString('en-US')} agent tokens by value (${(size / 1e6).toFixed(1)} MB), PostgreSQL`, ['step', 'seconds', 'tokens/s'], [
      ['import (empty database)', first.seconds.toFixed(1), Math.round(TOKENS / first.seconds)],
      ['list every token through the API, originals checked', listSeconds.toFixed(1), Math.round(TOKENS / listSeconds)],
      ['import again (all skipped)', again.seconds.toFixed(1), Math.round(TOKENS / again.seconds)]
    ])
  } finally {
    await rm(dir, { recursive: true, force: true })
    await bench.close()
  }
}

await main()
