import ipaddr from 'ipaddr.js'
import { parseAddress } from '../../plugins/http/client-address.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6

function maxPrefix (address: Address): number {
  return address.kind() === 'ipv4' ? 32 : 128
}

function networkOf (address: Address, prefix: number): Address {
  const bytes = address.toByteArray()
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7))
  return ipaddr.fromByteArray(bytes)
}

function render (address: Address): string {
  return address.kind() === 'ipv4' ? address.toString() : (address as ipaddr.IPv6).toRFC5952String()
}

/** Why an entry is not a CIDR range; `didYouMean` when it only has host bits set (or a dotted mask). */
export class InvalidCidr extends Error {
  readonly entry: string
  readonly didYouMean: string | undefined
  constructor (entry: string, didYouMean?: string) {
    super(didYouMean === undefined
      ? `Invalid IP address or CIDR range '${entry}'`
      : `Invalid IP address or CIDR range '${entry}': Value has bits set to right of mask. Did you mean '${didYouMean}'?`)
    this.name = 'InvalidCidr'
    this.entry = entry
    this.didYouMean = didYouMean
  }
}

/**
 * A token's CIDR entry, normalised as Conjur's validator has it (spec §A1 step 9): a bare
 * address is `/32` (`/128`), host bits right of the mask and dotted netmasks are refused with a
 * suggestion. Throws InvalidCidr.
 */
export function normaliseCidr (entry: unknown): string {
  const text = typeof entry === 'string' ? entry : JSON.stringify(entry) ?? String(entry)
  if (typeof entry !== 'string') throw new InvalidCidr(text)
  const parts = entry.split('/')
  if (parts.length > 2) throw new InvalidCidr(entry)
  const address = parseAddress(parts[0]!)
  if (!address) throw new InvalidCidr(entry)
  const mask = parts[1]
  if (mask === undefined) return `${render(address)}/${maxPrefix(address)}`
  // Ruby's IPAddr refuses a prefix written with leading zeros (`/024`).
  if (/^(?:0|[1-9]\d{0,2})$/.test(mask) && Number(mask) <= maxPrefix(address)) {
    const prefix = Number(mask)
    const network = networkOf(address, prefix)
    if (render(network) !== render(address)) throw new InvalidCidr(entry, `${render(network)}/${prefix}`)
    return `${render(address)}/${prefix}`
  }
  // A dotted netmask names a prefix, but Conjur wants the prefix written.
  if (address.kind() === 'ipv4' && ipaddr.IPv4.isValidFourPartDecimal(mask)) {
    const prefix = ipaddr.IPv4.parse(mask).prefixLengthFromSubnetMask()
    if (prefix !== null) throw new InvalidCidr(entry, `${render(networkOf(address, prefix))}/${prefix}`)
  }
  throw new InvalidCidr(entry)
}

/** Whether `ip` lies in one of `ranges` (normalised CIDR text); an empty list admits every address. */
export function withinRanges (ip: string, ranges: readonly string[]): boolean {
  if (ranges.length === 0) return true
  const address = parseAddress(ip)
  if (!address) return false
  return ranges.some((range) => {
    const [network, prefix] = ipaddr.parseCIDR(range)
    // An IPv4 range never holds an IPv6 address, `::ffff:a.b.c.d` included (spec §A5).
    return network.kind() === address.kind() && address.match(network, prefix)
  })
}
