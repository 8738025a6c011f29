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
