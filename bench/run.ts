/** `npm run bench`: the suite (bench/suite.ts); `npm run bench -- <name>`: one of the older in-process benches. */
const name = process.argv[2] ?? 'suite'
const benches = ['suite', 'fastpath', 'capacity', 'profile', 'sessions', 'agent-tokens-list', 'astra-tokens-list', 'login-timing', 'versus', 'import-agent-tokens', 'cli-latency', 'failover']
if (!benches.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${benches.join('|')}>\n`)
  process.exit(2)
}
await import(`./${name}.js`)
