/**
 * IPv6 text as glibc's `inet_ntop(AF_INET6)` writes it — the spelling `nft` lists set elements
 * in and Python's netaddr prints — shared by the agent's nftables driver and the controller's
 * DHCP subnet records. It is Go's spelling (`ipv6HexText`) but for two dotted-quad forms.
 * @module
 */
import { ipv6HexText } from './ipv6-hex-text.ts';

/**
 * `groups` (eight 16-bit values) in glibc's form: `ipv6HexText`, except that IPv4-compatible
 * (`::a.b.c.d`, a nonzero seventh group) and IPv4-mapped (`::ffff:a.b.c.d`) addresses end in a dotted quad.
 */
export function inetNtop6(groups: readonly number[]): string {
  const zeros = (n: number) => groups.slice(0, n).every((g) => g === 0);
  const compatible = zeros(6) && groups[6] !== 0;
  const mapped = zeros(5) && groups[5] === 0xffff;
  if (!compatible && !mapped) return ipv6HexText(groups);
  const quad = [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return compatible ? `::${quad}` : `::ffff:${quad}`;
}
