import { Redis } from 'ioredis'

/**
 * The Redis connection of the shared limit counters (REDIS_URL). A command fails fast while
 * Redis is away, instead of queueing: the limits then let requests through (and log it).
 */
export function connectRedis (url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 1000 })
  // ioredis reconnects by itself; without a listener an error event would crash the process.
  redis.on('error', () => {})
  return redis
}

/**
 * Resolves once `redis` is connected, or after `ms` whatever its state (the limits fail open
 * meanwhile): a replica that has just started counts its first requests too.
 */
export function redisReady (redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      redis.off('ready', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    redis.once('ready', done)
  })
}
