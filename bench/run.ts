/** `npm run bench -- <name>`: runs bench/<name>.ts (sessions, agent-tokens-list). */
const name = process.argv[2]
const benches = ['sessions', 'agent-tokens-list']
if (!name || !benches.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${benches.join('|')}>\n`)
  process.exit(2)
}
await import(`./${name}.js`)
