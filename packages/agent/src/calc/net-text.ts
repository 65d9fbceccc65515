/**
 * Address and network text as the calculation graph emits it: networks with host bits cleared
 * and Go's canonical spelling (`10.65.0.17/32`, `fd00::/64`). IPv4, by far the common case at
 * scale, takes a regex-free fast path; IPv6 goes through `@percale/api`'s Go-exact parser.
 * @module
 */
import { canonicalCIDR } from '@percale/api';

/** A network and its IP version. */
export interface Network {
  readonly text: string;
  readonly version: 4 | 6;
  readonly prefix: number;
}

// Parses a dotted quad starting at `start` up to `end` (exclusive) into a 32-bit number, with
// Go's rules: 1–3 digits per octet, no leading zeros, each octet ≤ 255. Returns -1 if invalid.
function parseV4(text: string, end: number): number {
  let value = 0;
  let octets = 0;
  let i = 0;
  while (i < end) {
    let n = 0;
    let digits = 0;
    const first = i;
    while (i < end) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || n > 255 || (digits > 1 && text.charCodeAt(first) === 48)) return -1;
    value = value * 256 + n;
    octets++;
    if (i === end) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return -1;
    i++;
    if (i === end) return -1;
  }
  return octets === 4 ? value : -1;
}

function formatV4(value: number): string {
  return `${Math.floor(value / 16777216)}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

// Parses "/<prefix>" at `slash` (1–3 digits), or returns -1.
function parsePrefix(text: string, slash: number): number {
  const digits = text.length - slash - 1;
  if (digits < 1 || digits > 3) return -1;
  let n = 0;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// Parses colon-hex groups of text[start, end) into `out` from `at`; returns the group count or -1.
function parseGroups(text: string, start: number, end: number, out: number[], at: number): number {
  if (start === end) return 0;
  let n = 0;
  let i = start;
  for (;;) {
    let value = 0;
    let digits = 0;
    while (i < end && text.charCodeAt(i) !== 58) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0 || ++digits > 4) return -1;
      value = value * 16 + d;
      i++;
    }
    if (digits === 0 || at + n >= 8) return -1;
    out[at + n++] = value;
    if (i === end) return n;
    i++; // the colon
    if (i === end) return -1;
  }
}

// IPv6 without an embedded IPv4 part: parsed to groups, masked and printed as Go prints it
// (RFC 5952: lower case, no leading zeros, the first longest run of 2+ zero groups as `::`).
function parseV6(text: string, slash: number): Network | undefined {
  const end = slash < 0 ? text.length : slash;
  const prefix = slash < 0 ? 128 : parsePrefix(text, slash);
  if (prefix < 0 || prefix > 128) return undefined;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  const gap = text.indexOf('::');
  if (gap >= 0 && gap < end) {
    if (text.indexOf('::', gap + 1) >= 0 && text.indexOf('::', gap + 1) < end) return undefined;
    const head = parseGroups(text, 0, gap, groups, 0);
    const tail: number[] = [];
    const nTail = parseGroups(text, gap + 2, end, tail, 0);
    if (head < 0 || nTail < 0 || head + nTail > 7) return undefined;
    for (let k = 0; k < nTail; k++) groups[8 - nTail + k] = tail[k]!;
  } else if (parseGroups(text, 0, end, groups, 0) !== 8) {
    return undefined;
  }
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefix - 16 * g));
    groups[g] = bits === 0 ? 0 : groups[g]! & (0xffff << (16 - bits)) & 0xffff;
  }
  // IPv4-mapped addresses are IPv4 in Go; leave that rare form to the general parser.
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return fromCanonical(canonicalCIDR(text));
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let g = 0; g < 8;) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let h = g;
    while (h < 8 && groups[h] === 0) h++;
    if (h - g > bestLen) {
      bestStart = g;
      bestLen = h - g;
    }
    g = h;
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += groups[g]!.toString(16);
  }
  return { text: `${out}/${prefix}`, version: 6, prefix };
}

/**
 * Calico's `ParseCIDROrIP` followed by `Network()`: a CIDR or a bare address (a full-length
 * prefix), returned as its network in canonical text. Undefined when the text is neither.
 */
export function parseNetwork(text: string): Network | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  const end = slash < 0 ? text.length : slash;
  const v4 = parseV4(text, end);
  if (v4 >= 0) {
    const prefix = slash < 0 ? 32 : parsePrefix(text, slash);
    if (prefix < 0 || prefix > 32) return undefined;
    // The common `a.b.c.d/32` is already canonical: keep the caller's string rather than copy it.
    if (prefix === 32) return { text: text.length === end + 3 ? text : `${text.slice(0, end)}/32`, version: 4, prefix };
    const size = 2 ** (32 - prefix);
    return { text: `${formatV4(Math.floor(v4 / size) * size)}/${prefix}`, version: 4, prefix };
  }
  if (!text.includes(':')) return undefined;
  if (!text.includes('.')) return parseV6(text, slash);
  return fromCanonical(canonicalCIDR(text));
}

// A network from @percale/api's canonical text, which prints IPv4-mapped addresses as IPv4.
function fromCanonical(canonical: string | undefined): Network | undefined {
  if (canonical === undefined) return undefined;
  const prefix = Number(canonical.slice(canonical.lastIndexOf('/') + 1));
  return { text: canonical, version: canonical.includes(':') ? 6 : 4, prefix };
}

/** The address part of a network's text (`10.0.0.1/32` → `10.0.0.1`). */
export function networkAddressText(net: string): string {
  const slash = net.indexOf('/');
  return slash < 0 ? net : net.slice(0, slash);
}

/** Canonical text of a bare IP address, or undefined when the text is not one. */
export function parseAddress(text: string): { text: string; version: 4 | 6 } | undefined {
  if (typeof text !== 'string' || text.includes('/')) return undefined;
  const net = parseNetwork(text);
  return net ? { text: networkAddressText(net.text), version: net.version } : undefined;
}
