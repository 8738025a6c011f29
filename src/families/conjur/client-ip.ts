import ipaddr from 'ipaddr.js'
import { parseAddress, unmapPeer } from './cidr.js'

export type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** Conjur always trusts the loopback addresses (spec §A5). */
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
 * The client address Conjur judges a token's CIDR by (spec §A5, Rack 2.2's Request#ip): the TCP
 * peer (an IPv4-mapped one read as IPv4) unless it is a trusted proxy; then the right-most
 * X-Forwarded-For entry that is not trusted, or the left-most when all are. Entries are taken
 * literally (`::ffff:127.0.0.1` stays IPv6).
 */
export function clientIp (peer: string, forwardedFor: string | string[] | undefined, trusted: readonly Range[]): string {
  const remote = unmapPeer(peer)
  if (!isTrusted(remote, trusted)) return remote
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor
  const forwarded = (header ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  if (forwarded.length === 0) return remote
  return forwarded.filter((entry) => !isTrusted(entry, trusted)).at(-1) ?? forwarded[0]!
}
