import type { FastifyRequest } from 'fastify'
import ipaddr from 'ipaddr.js'
import { clientIp, trustedRanges, type Range } from '../families/conjur/client-ip.js'

const rangesOf = new WeakMap<readonly string[], Range[]>()

/** One IPv6 client holds a whole /64, as @fastify/rate-limit assumes: its addresses count as one. */
function normalise (ip: string): string {
  if (!ipaddr.isValid(ip)) return ip
  const address = ipaddr.process(ip)
  if (address.kind() === 'ipv4') return address.toString()
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`).toString()}/64`
}

/**
 * The client address every limit counts: Fastify's `request.ip` under TRUST_PROXY (the left-most
 * X-Forwarded-For), else, with TRUSTED_PROXIES, the address Conjur's rule finds (§A5), else the
 * TCP peer. IPv6 addresses are counted by /64.
 */
export function clientAddressOf (request: FastifyRequest): string {
  const { trustProxy, trustedProxies } = request.server.config
  if (trustProxy || trustedProxies.length === 0) return normalise(request.ip)
  let ranges = rangesOf.get(trustedProxies)
  if (ranges === undefined) {
    ranges = trustedRanges(trustedProxies)
    rangesOf.set(trustedProxies, ranges)
  }
  return normalise(clientIp(request.socket.remoteAddress ?? request.ip, request.headers['x-forwarded-for'], ranges))
}
