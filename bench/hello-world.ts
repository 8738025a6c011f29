import Fastify from 'fastify'

/** Baseline B1 of `npm run bench`: the fastest a Fastify route answers on this machine. */
const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
app.get('/healthz', async () => ({ status: 'ok' }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
