import type { FastifyRequest } from 'fastify'
import ipaddr from 'ipaddr.js'

/**
 * "Who is the client?", answered once. Three readers ask it in three ways, from the same trusted
 * ranges: the limits (clientAddressOf, counted by limitKeyOf), a token's CIDR list (rackClientAddressOf:
 * the original API's rule, which always trusts loopback) and the audit trail (auditedAddressOf).
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6
export type Range = [Address, number]

/**
 * An address written as Ruby's IPAddr reads one: dotted-quad IPv4 without zero padding
 * (`192.168.001.001` is refused), or IPv6 without a zone; null for anything else.
 */
export function parseAddress (text: string): Address | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text)
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return null
  return ipaddr.IPv6.parse(text)
}

/**
 * The TCP peer as Rack hands it on: a server listening on `::` sees IPv4 clients as
 * `::ffff:a.b.c.d`, which is the IPv4 address (spec §A5).
 */
export function unmapPeer (address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  return mapped ? mapped[1]! : address
}

/** Loopback is always a trusted proxy (spec §A5). */
const ALWAYS_TRUSTED = ['127.0.0.1', '::1']

/** Parses TRUSTED_PROXIES entries (IPs or CIDRs; host bits are masked, as IPAddr does); throws on a bad one. */
export function trustedRanges (entries: readonly string[]): Range[] {
  return [...ALWAYS_TRUSTED, ...entries].map((entry) => {
    const text = entry.trim()
    if (text.includes('/')) {
      const [address, prefix] = text.split('/')
      if (!parseAddress(address!) || !/^\d{1,3}$/.test(prefix!)) throw new Error(`not an IP address or CIDR range: ${JSON.stringify(entry)}`)
      return ipaddr.parseCIDR(text)
    }
    const address = parseAddress(text)
    if (!address) throw new Error(`not an IP address or CIDR range: ${JSON.stringify(entry)}`)
    return [address, address.kind() === 'ipv4' ? 32 : 128]
  })
}

function isTrusted (ip: string, ranges: readonly Range[]): boolean {
  const address = parseAddress(ip)
  return address !== null && ranges.some(([network, prefix]) => network.kind() === address.kind() && address.match(network, prefix))
}

/**
 * Rack 2.2's Request#ip (spec §A5): the TCP peer (an IPv4-mapped one read as IPv4) unless it is a
 * trusted proxy; then the right-most X-Forwarded-For entry that is not trusted, or the left-most
 * when all are. Entries are taken literally (`::ffff:127.0.0.1` stays IPv6).
 */
export function clientIp (peer: string, forwardedFor: string | string[] | undefined, trusted: readonly Range[]): string {
  const remote = unmapPeer(peer)
  if (!isTrusted(remote, trusted)) return remote
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor
  const forwarded = (header ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  if (forwarded.length === 0) return remote
  return forwarded.filter((entry) => !isTrusted(entry, trusted)).at(-1) ?? forwarded[0]!
}

/** The one parse of TRUSTED_PROXIES, per configuration. */
const rangesOf = new WeakMap<readonly string[], Range[]>()

function trustedRangesOf (request: FastifyRequest): Range[] {
  const { trustedProxies } = request.server.config
  let ranges = rangesOf.get(trustedProxies)
  if (ranges === undefined) {
    ranges = trustedRanges(trustedProxies)
    rangesOf.set(trustedProxies, ranges)
  }
  return ranges
}

/** The client by Rack's rule, TRUSTED_PROXIES and loopback trusted: what a token's CIDR list is checked against. */
export function rackClientAddressOf (request: FastifyRequest): string {
  return clientIp(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], trustedRangesOf(request))
}

/**
 * The client address (docs/security.md, "Client address"): Fastify's `request.ip` under
 * TRUST_PROXY (the left-most X-Forwarded-For), else, with TRUSTED_PROXIES, Rack's rule, else the
 * TCP peer.
 */
export function clientAddressOf (request: FastifyRequest): string {
  const { trustProxy, trustedProxies } = request.server.config
  return trustProxy || trustedProxies.length === 0 ? request.ip : rackClientAddressOf(request)
}

/** One IPv6 client holds a whole /64, as @fastify/rate-limit assumes: its addresses count as one. */
function normalise (ip: string): string {
  if (!ipaddr.isValid(ip)) return ip
  const address = ipaddr.process(ip)
  if (address.kind() === 'ipv4') return address.toString()
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`).toString()}/64`
}

/** The client every limit counts: its address, IPv4-mapped ones as IPv4, IPv6 ones by /64. */
export function limitKeyOf (request: FastifyRequest): string {
  return normalise(clientAddressOf(request))
}

/**
 * The address the audit trail records: Fastify's `request.ip`. It is the client address but with
 * TRUSTED_PROXIES alone, where it stays the TCP peer, as the trail has always recorded it.
 */
export function auditedAddressOf (request: FastifyRequest): string {
  return request.ip
}
