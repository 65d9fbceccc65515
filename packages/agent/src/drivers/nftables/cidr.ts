/**
 * IPv4/IPv6 networks as the nftables dataplane needs them: parsing the CIDRs the calculation graph
 * sends, containment tests, and formatting exactly as `nft` lists addresses (glibc
 * `inet_ntop`), so desired set elements and elements read back from the kernel compare equal.
 * @module
 */
import { inetNtop6 } from '@percale/api';

/** One network: family, network address as an integer (host bits cleared), prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly len: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): bigint | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return BigInt(value);
}

const HEX = /^[0-9a-fA-F]{1,4}$/;

function parseV6(text: string): bigint | undefined {
  let body = text;
  const tail: number[] = [];
  if (text.includes('.')) {
    const colon = text.lastIndexOf(':');
    const v4 = colon < 0 ? undefined : parseV4(text.slice(colon + 1));
    if (v4 === undefined) return undefined;
    tail.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    body = text.slice(0, colon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] | undefined => {
    if (part === '') return [];
    const parts = part.split(':');
    return parts.every((g) => HEX.test(g)) ? parts : undefined;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  // One BigInt from the 32 hex digits instead of eight shifts.
  const hex = [...head, ...new Array<string>(8 - given).fill('0'), ...rest, ...tail.map((t) => t.toString(16))]
    .map((g) => g.padStart(4, '0'))
    .join('');
  return BigInt(`0x${hex}`);
}

function width(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function mask(family: 4 | 6, len: number): bigint {
  const w = BigInt(width(family));
  return len === 0 ? 0n : ((1n << w) - 1n) ^ ((1n << (w - BigInt(len))) - 1n);
}

/**
 * Parses `address` or `address/len` (IPv4 dotted quad, IPv6 in any RFC 4291 spelling) and
 * clears host bits. Returns undefined for anything else.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? undefined : text.slice(slash + 1);
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return undefined;
  let family: 4 | 6 = 4;
  let bits = parseV4(addr);
  if (bits === undefined) {
    family = 6;
    bits = parseV6(addr);
    if (bits === undefined) return undefined;
  }
  const len = lenText === undefined ? width(family) : Number(lenText);
  if (len > width(family)) return undefined;
  return { family, bits: bits & mask(family, len), len };
}

/** The family of an address or CIDR text, or undefined when it is neither. */
export function familyOf(text: string): 4 | 6 | undefined {
  return parseCidr(text)?.family;
}

function formatV4(bits: bigint): string {
  const n = Number(bits);
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** glibc `inet_ntop(AF_INET6)`: what `nft` prints. */
function formatV6(bits: bigint): string {
  const hex = bits.toString(16).padStart(32, '0');
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(parseInt(hex.slice(i * 4, i * 4 + 4), 16));
  return inetNtop6(groups);
}

/** Formats an address of the given family as `nft` prints it. */
export function formatAddress(family: 4 | 6, bits: bigint): string {
  return family === 4 ? formatV4(bits) : formatV6(bits);
}

/** The canonical element text: a bare address for a full-length prefix, `address/len` otherwise. */
export function formatCidr(cidr: Cidr): string {
  const addr = formatAddress(cidr.family, cidr.bits);
  return cidr.len === width(cidr.family) ? addr : `${addr}/${cidr.len}`;
}

const V4_HOST = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/32)?$/;

/**
 * The canonical text and family of a single address (`10.0.0.1`, `10.0.0.1/32`, `fd00::1/128`),
 * or undefined for a real prefix or garbage. IPv4 takes a fast path without big integers: IP sets
 * hold thousands of these.
 */
export function canonicalHost(text: string): { family: 4 | 6; text: string } | undefined {
  const m = V4_HOST.exec(text);
  if (m) {
    for (let i = 1; i <= 4; i++) {
      const part = m[i]!;
      if ((part.length > 1 && part.startsWith('0')) || Number(part) > 255) return undefined;
    }
    return { family: 4, text: `${m[1]}.${m[2]}.${m[3]}.${m[4]}` };
  }
  const c = parseCidr(text);
  return c && c.len === width(c.family) ? { family: c.family, text: formatCidr(c) } : undefined;
}

/** Canonical element text of an address or CIDR, or undefined when it cannot be parsed. */
export function canonicalNet(text: string): string | undefined {
  const c = parseCidr(text);
  return c ? formatCidr(c) : undefined;
}

/** True when `outer` contains `inner` (equal networks contain each other). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.len <= inner.len && (inner.bits & mask(outer.family, outer.len)) === outer.bits;
}

/** The enclosing network of `cidr` at a shorter prefix length. */
export function supernet(cidr: Cidr, len: number): Cidr {
  return { family: cidr.family, bits: cidr.bits & mask(cidr.family, len), len };
}

/** True when the CIDR covers the whole address family (`0.0.0.0/0`, `::/0`). */
export function isCatchAll(cidr: Cidr): boolean {
  return cidr.len === 0;
}
