import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

export interface BenchProcess {
  url: string
  pid: number
  /** Resident memory now, in MB (Linux /proc). */
  rssMb (): number
  stop (): Promise<void>
}

/** CPU seconds (user + system) process `pid` has used so far (Linux /proc); 0 once it has ended. */
export function cpuSecondsOf (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    }).on('error', reject)
  })
}

async function waitForHealth (url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process ended: ${output()}`)
    if (await fetch(`${url}/healthz`).then((response) => response.ok, () => false)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no answer on ${url}/healthz: ${output()}`)
}

async function start (args: string[], env: Record<string, string>, port: number, root = ROOT): Promise<BenchProcess> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  // BENCH_PROCESS_LOG: a file that keeps everything the benchmarked processes print (--trace-gc, say).
  const keep = (chunk: Buffer) => {
    output = (output + chunk).slice(-4000)
    if (process.env.BENCH_PROCESS_LOG) appendFileSync(process.env.BENCH_PROCESS_LOG, chunk)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const url = `http://127.0.0.1:${port}`
  await waitForHealth(url, child, () => output)
  return {
    url,
    pid: child.pid!,
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024,
    async stop () {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

/**
 * Tessera as deployed: the compiled server (npm run build), its own process; `nodeArgs` such as
 * --cpu-prof. Its limits are production's, except those per client address: every benchmark
 * client is 127.0.0.1, which sends far more than 6000 requests a minute, and the cross-replica
 * trials end each with a refused token (1000 failures, where 100 would refuse the next logins).
 * `root`: another checkout, built, to measure against (npm run bench -- versus).
 */
export async function startTessera (env: Record<string, string>, nodeArgs: string[] = [], root = ROOT): Promise<BenchProcess> {
  const port = await freePort()
  // npm start's heap cap; a --heap-growing-percent in nodeArgs comes later, and wins.
  return start(['--heap-growing-percent=50', ...nodeArgs, 'dist/server.js'], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '0', AUTH_FAILURES_PER_CLIENT: '0', AUTH_FAILURES_PER_USER: '0', ...env }, port, root)
}

/** Baseline B1: Fastify's hello world, its own process. */
export async function startHelloWorld (): Promise<BenchProcess> {
  const port = await freePort()
  return start(['--import', 'tsx', 'bench/hello-world.ts'], { PORT: String(port) }, port)
}
