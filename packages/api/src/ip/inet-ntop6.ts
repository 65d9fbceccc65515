/**
 * IPv6 text as glibc's `inet_ntop(AF_INET6)` writes it — the spelling `nft` lists set elements
 * in and Python's netaddr prints — shared by the agent's nftables driver and the controller's
 * DHCP subnet records. (Go's spelling, `canonicalCIDR`, differs: no dotted quads.)
 * @module
 */

/**
 * `groups` (eight 16-bit values) in glibc's form: lower-case hex without leading zeros, the
 * first longest run of two or more zero groups as `::`, and the IPv4-compatible (`::a.b.c.d`)
 * and IPv4-mapped (`::ffff:a.b.c.d`) addresses with a dotted quad.
 */
export function inetNtop6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  const dotted = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff));
  if (dotted) {
    const quad = [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
    return bestLen === 6 ? `::${quad}` : `::ffff:${quad}`;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
