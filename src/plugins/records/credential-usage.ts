import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CredentialUsage, type CredentialUsageOptions } from '../../services/credential-usage.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Uses of credentials counted in memory, flushed every USAGE_FLUSH_SECONDS (services/credential-usage.ts). */
    credentialUsage: CredentialUsage
  }
}

/** Counts credential uses and flushes them every USAGE_FLUSH_SECONDS, and once more on close. */
export default fp(async function credentialUsage (app: FastifyInstance, options: { usage?: Partial<CredentialUsageOptions> }) {
  const usage = new CredentialUsage(app.db, app.log, options.usage)
  app.decorate('credentialUsage', usage)
  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    timer = setInterval(() => { usage.flush() }, app.config.usageFlushSeconds * 1000)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await usage.drain()
  })
}, { name: 'credential-usage' })
