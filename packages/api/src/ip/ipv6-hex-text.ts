/**
 * IPv6 text as eight hex groups with RFC 5952's zero compression (§4.2), never a dotted quad:
 * Go's spelling of an IPv6 address, which Calico stores (`canonicalCIDR`). `inetNtop6` builds
 * glibc's spelling on it.
 * @module
 */

/**
 * `groups` (eight 16-bit values) as lower-case hex without leading zeros, the first longest run
 * of two or more zero groups written `::` (a lone zero group stays `0`).
 */
export function ipv6HexText(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
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
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
