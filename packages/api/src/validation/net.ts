/**
 * IP, CIDR and MAC parsing with Go's rules (`net.ParseIP`, `net.ParseCIDR`, Calico's
 * `ParseCIDROrIP`, `net.ParseMAC`) and the field checks built on them (resources.md §1.7).
 * Text is validated, never rewritten: stored values keep the user's spelling.
 * @module
 */
import type { StringCheck } from '../schema/scalars.ts';

/** An address as bytes; IPv4-mapped IPv6 text is an IPv4 address, as in Go. */
export interface IPAddress {
  readonly version: 4 | 6;
  readonly bytes: readonly number[];
}

/** A parsed CIDR: the address as written and the prefix length. */
export interface IPNetwork {
  readonly address: IPAddress;
  readonly prefix: number;
}

const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

function parseIPv4(text: string): number[] | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function hexGroups(part: string): number[] | undefined {
  if (part === '') return [];
  const groups = part.split(':');
  return groups.every((g) => HEX_GROUP.test(g)) ? groups.map((g) => parseInt(g, 16)) : undefined;
}

function parseIPv6(text: string): number[] | undefined {
  let body = text;
  let tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 address ends the text and fills the last two groups.
    const colon = text.lastIndexOf(':');
    const v4 = parseIPv4(text.slice(colon + 1));
    if (colon < 0 || !v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = text.slice(0, colon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = hexGroups(halves[0]!);
  const rest = halves.length === 2 ? hexGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  // `::` stands for at least one group; without it all eight must be written.
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Go's `net.ParseIP`: dotted-quad IPv4 (no leading zeros) or IPv6 without a zone. */
export function parseIP(text: string): IPAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (!v6) return undefined;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? { version: 4, bytes: v6.slice(12) } : { version: 6, bytes: v6 };
}

/** Go's `net.ParseCIDR`: `address/prefix`, the prefix within the family's length. */
export function parseCIDR(text: string): IPNetwork | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const v4 = parseIPv4(addr);
  if (v4) return prefix <= 32 ? { address: { version: 4, bytes: v4 }, prefix } : undefined;
  const v6 = parseIPv6(addr);
  return v6 && prefix <= 128 ? { address: { version: 6, bytes: v6 }, prefix } : undefined;
}

/** Calico's `ParseCIDROrIP`: a CIDR, or a bare address taken as a full-length prefix. */
export function parseCIDROrIP(text: string): IPNetwork | undefined {
  const cidr = parseCIDR(text);
  if (cidr) return cidr;
  const ip = parseIP(text);
  return ip ? { address: ip, prefix: ip.version === 4 ? 32 : 128 } : undefined;
}

/** The network's first address (host bits cleared). */
export function networkAddress(net: IPNetwork): IPAddress {
  const bytes = net.address.bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, net.prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  return { version: net.address.version, bytes };
}

/** True when the CIDR has no host bits set (`10.0.0.0/8`, not `10.0.0.1/8`). */
export function isStrictlyMasked(net: IPNetwork): boolean {
  return networkAddress(net).bytes.every((b, i) => b === net.address.bytes[i]);
}

/** True when `address` lies inside `net`. */
export function networkContains(net: IPNetwork, address: IPAddress): boolean {
  if (net.address.version !== address.version) return false;
  const base = networkAddress(net).bytes;
  return networkAddress({ address, prefix: net.prefix }).bytes.every((b, i) => b === base[i]);
}

const MAC_COLON = /^[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2})+$/;
const MAC_DOTTED = /^[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4})+$/;

/** Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx…`, `xx-xx…` or `xxxx.xxxx…`. */
export function isMACAddress(text: string): boolean {
  let octets = 0;
  if (MAC_COLON.test(text)) {
    const sep = text[2]!;
    if (text.split(sep).some((part) => part.length !== 2)) return false;
    octets = (text.length + 1) / 3;
  } else if (MAC_DOTTED.test(text)) {
    octets = ((text.length + 1) / 5) * 2;
  }
  return octets === 6 || octets === 8 || octets === 20;
}

/** `ip` tag: any IPv4 or IPv6 address. */
export const ipAddress: StringCheck = (s) => (parseIP(s) ? undefined : 'invalid IP address');

/** `ipv4` tag. */
export const ipv4Address: StringCheck = (s) => (parseIP(s)?.version === 4 ? undefined : 'invalid IPv4 address');

/** `ipv6` tag. */
export const ipv6Address: StringCheck = (s) => (parseIP(s)?.version === 6 ? undefined : 'invalid IPv6 address');

/** `cidr` tag: an address or CIDR; host bits may be set. */
export const cidrOrIP: StringCheck = (s) => (parseCIDROrIP(s) ? undefined : 'invalid CIDR');

/** `net` tag: an address or a strictly masked CIDR. */
export const maskedNetwork: StringCheck = (s) => {
  const net = parseCIDROrIP(s);
  if (!net) return 'invalid CIDR';
  return isStrictlyMasked(net) ? undefined : 'CIDR is not strictly masked (host bits are set)';
};

/** `mac` tag. */
export const macAddress: StringCheck = (s) => (isMACAddress(s) ? undefined : 'invalid MAC address');
