import type { FastifyInstance, onSendHookHandler } from 'fastify'
import fp from 'fastify-plugin'

/**
 * RFC 9110 §8.6: no Content-Length on a 204 (or 304). Fastify's HEAD twin of a GET sets one from
 * the GET's payload in an onSend hook of its own, after the route's and its scopes' hooks, so
 * a HEAD answered 204 would carry `Content-Length: 0` where its GET carries none.
 */
const noLengthWithoutContent: onSendHookHandler = (_request, reply, payload, done) => {
  if (reply.statusCode === 204 || reply.statusCode === 304) reply.removeHeader('content-length')
  done(null, payload)
}

/** Registered before every route: each HEAD route (a GET's twin or written on purpose) gets the hook last. */
export default fp(async function headReplies (app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD') route.onSend = [...[route.onSend ?? []].flat(), noLengthWithoutContent]
  })
})
