/**
 * IPPool CIDR rules the client enforces across resources: canonical CIDR text,
 * overlap between pools, and which CIDR edits an update may make (resources.md §4.1).
 * @module
 */
import { ipv6HexText } from '../ip/ipv6-hex-text.ts';
import { networkAddress, parseCIDROrIP, type IPAddress, type IPNetwork } from '../validation/net.ts';

function formatIPv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return ipv6HexText(groups);
}

function formatIP(ip: IPAddress): string {
  return ip.version === 4 ? ip.bytes.join('.') : formatIPv6(ip.bytes);
}

/** The canonical text of a network (host bits cleared, lower-case, zeros compressed), as Go prints it. */
export function canonicalCIDR(text: string): string | undefined {
  const net = parseCIDROrIP(text);
  return net ? `${formatIP(networkAddress(net))}/${net.prefix}` : undefined;
}

function contains(outer: IPNetwork, inner: IPNetwork): boolean {
  if (outer.address.version !== inner.address.version || outer.prefix > inner.prefix) return false;
  const a = networkAddress(outer).bytes;
  const b = inner.address.bytes;
  for (let bit = 0; bit < outer.prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** True when two pool CIDRs share any address. Unparsable text never overlaps. */
export function ipPoolsOverlap(a: string, b: string): boolean {
  const x = parseCIDROrIP(a);
  const y = parseCIDROrIP(b);
  return !!x && !!y && (contains(x, y) || contains(y, x));
}

/**
 * Whether an IPPool update may change `spec.cidr` from `oldCidr` to `newCidr`: only
 * to the same text, or to the canonical spelling of the old value.
 */
export function ipPoolCidrChangeAllowed(oldCidr: string, newCidr: string): boolean {
  return oldCidr === newCidr || canonicalCIDR(oldCidr) === newCidr;
}
