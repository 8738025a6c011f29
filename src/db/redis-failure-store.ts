import type { Redis } from 'ioredis'
import type { FailureCount, FailureStore } from '../core/failure-limits.js'

// One script is one command: every key's count and expiry change together, whatever other replicas do.
const COUNT = `
local out = {}
for _, key in ipairs(KEYS) do
  local failures = redis.call('INCR', key)
  if failures == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  table.insert(out, failures)
  table.insert(out, redis.call('PTTL', key))
end
return out`

// A key that expired meanwhile stays gone: DECR would make it anew, with no expiry.
const REFUND = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0`

const PREFIX = 'tessera:auth-failures:'

function counts (keys: readonly string[], reply: number[], now: Date): Map<string, FailureCount> {
  const found = new Map<string, FailureCount>()
  keys.forEach((key, index) => {
    const failures = reply[index * 2]!
    const ttlMs = reply[index * 2 + 1]!
    if (failures > 0 && ttlMs > 0) found.set(key, { failures, resetAt: new Date(now.getTime() + ttlMs) })
  })
  return found
}

/** Failure counts in Redis (REDIS_URL): keys expire with their window, so nothing needs purging. Windows follow Redis's clock. */
export function redisFailureStore (redis: Redis): FailureStore {
  return {
    async count (keys, windowSeconds, now) {
      const reply = await redis.eval(COUNT, keys.length, ...keys.map((key) => PREFIX + key), windowSeconds * 1000) as number[]
      return counts(keys, reply, now)
    },
    async refund (keys) {
      await redis.eval(REFUND, keys.length, ...keys.map((key) => PREFIX + key))
    }
  }
}
