import { connect, type Socket } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import replyBatches from '../../src/plugins/http/reply-batches.js'

/** A bare app with the plugin, whose routes log when each reply is ready and when Node writes its head. */
async function recordingApp (events: string[]): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(replyBatches)
  app.addHook('onRequest', (request, reply, done) => {
    const writeHead = reply.raw.writeHead.bind(reply.raw) as (...args: unknown[]) => unknown
    reply.raw.writeHead = ((...args: unknown[]) => { events.push(`written ${request.url}`); return writeHead(...args) }) as typeof reply.raw.writeHead
    done()
  })
  app.get('/ready/:n', async (request) => {
    events.push(`ready ${request.url}`)
    return { n: (request.params as { n: string }).n }
  })
  app.get('/refused', async (_request, reply) => {
    // Node refuses a header value with a line break when it writes the head, after onSend.
    reply.header('x-broken', 'a\nb')
    return { never: 'sent' }
  })
  return app
}

let app: FastifyInstance | undefined
afterEach(async () => { await app?.close() })

describe('reply batches', () => {
  it('writes the replies of one turn after every one of them is ready, in order', async () => {
    const events: string[] = []
    app = await recordingApp(events)
    const { port } = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))
    const sockets = await Promise.all([1, 2, 3].map(() => new Promise<Socket>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => resolve(socket)).on('error', reject)
    })))
    /** Sends GET /ready/{n} on each socket at once; the answers' status lines and bodies. */
    async function sendAtOnce (): Promise<string[][]> {
      const answers = sockets.map((socket) => new Promise<string>((resolve) => {
        let text = ''
        const read = (chunk: string) => { text += chunk; if (text.endsWith('}')) { socket.off('data', read); resolve(text) } }
        socket.on('data', read)
      }))
      // Three requests on the wire before the server's next poll, as under load: one turn reads them all.
      sockets.forEach((socket, i) => socket.write(`GET /ready/${i + 1} HTTP/1.1\r\nhost: tessera\r\n\r\n`))
      const until = Date.now() + 50
      while (Date.now() < until);
      return (await Promise.all(answers)).map((text) => [text.split('\r\n')[0]!, text.slice(text.indexOf('\r\n\r\n') + 4)])
    }
    for (const socket of sockets) socket.setEncoding('utf8')
    // The first round has the server accept the connections; the second finds them open, as a load generator's are.
    await sendAtOnce()
    events.length = 0
    const texts = await sendAtOnce()
    sockets.forEach((socket) => socket.destroy())
    expect(texts).toEqual([1, 2, 3].map((n) => ['HTTP/1.1 200 OK', `{"n":"${n}"}`]))
    expect(events).toEqual(['ready /ready/1', 'ready /ready/2', 'ready /ready/3', 'written /ready/1', 'written /ready/2', 'written /ready/3'])
  })

  it('writes a lone reply in the turn it became ready, before any timer', async () => {
    const events: string[] = []
    app = await recordingApp(events)
    await app.ready()
    const reply = app.inject({ url: '/ready/1' })
    const timerRan = new Promise<void>((resolve) => setTimeout(() => { events.push('timer'); resolve() }, 0))
    expect((await reply).statusCode).toBe(200)
    await timerRan
    expect(events).toEqual(['ready /ready/1', 'written /ready/1', 'timer'])
  })

  it('answers a reply Node refuses to write with the error reply, and the process goes on', async () => {
    const events: string[] = []
    app = await recordingApp(events)
    const refused = await app.inject({ url: '/refused' })
    expect(refused.statusCode).toBe(500)
    expect(refused.json()).toEqual({ statusCode: 500, code: 'ERR_INVALID_CHAR', error: 'Internal Server Error', message: 'Invalid character in header content ["x-broken"]' })
    expect((await app.inject({ url: '/ready/4' })).json()).toEqual({ n: '4' })
  })
})
