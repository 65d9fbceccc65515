/**
 * Canonical text of set and map elements. Managers produce element keys with these helpers, and
 * the read-back turns `nft -j` element JSON into the same text, so the driver can diff desired
 * against actual members as plain strings. The text is also valid nft syntax for transactions.
 * @module
 */
import { formatAddress, formatCidr, parseCidr } from './cidr.ts';

/** IANA protocol numbers of the names nft prints for `inet_proto` values. */
const PROTO_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1, igmp: 2, ipencap: 4, tcp: 6, egp: 8, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51,
  'ipv6-icmp': 58, icmpv6: 58, sctp: 132, udplite: 136,
};

/** The protocol number of a name or number text, or undefined when unknown. */
export function protocolNumber(text: string | number): number | undefined {
  if (typeof text === 'number') return text;
  if (/^\d+$/.test(text)) return Number(text);
  return PROTO_NUMBERS[text.toLowerCase()];
}

/** Element text of an interface name. */
export function ifnameElement(name: string): string {
  return `"${name}"`;
}

/** Element text of a concatenation. */
export function concatElement(...parts: readonly string[]): string {
  return parts.join(' . ');
}

/**
 * Element text of a Calico `ip,proto:port` member (`10.0.0.1,tcp:80` → `10.0.0.1 . 6 . 80`),
 * or undefined when it cannot be parsed.
 */
export function ipPortElement(member: string): { family: 4 | 6; text: string } | undefined {
  const m = /^(.+),([A-Za-z0-9-]+):(\d{1,5})$/.exec(member);
  if (!m) return undefined;
  const c = parseCidr(m[1]!);
  const proto = protocolNumber(m[2]!);
  const port = Number(m[3]);
  if (!c || c.len !== (c.family === 4 ? 32 : 128) || proto === undefined || proto > 255 || port > 65535) return undefined;
  return { family: c.family, text: concatElement(formatCidr(c), String(proto), String(port)) };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function addressText(type: string, v: Json): string {
  if (typeof v === 'string') {
    const c = parseCidr(v);
    return c ? formatCidr(c) : v;
  }
  if (isObject(v) && isObject(v.prefix)) {
    const c = parseCidr(`${String(v.prefix.addr)}/${String(v.prefix.len)}`);
    return c ? formatCidr(c) : `${String(v.prefix.addr)}/${String(v.prefix.len)}`;
  }
  if (isObject(v) && Array.isArray(v.range)) {
    const [lo, hi] = v.range.map((x) => addressText(type, x));
    return `${lo}-${hi}`;
  }
  return JSON.stringify(v);
}

function componentText(type: string, v: Json): string {
  switch (type) {
    case 'ipv4_addr':
    case 'ipv6_addr':
      return addressText(type, v);
    case 'ifname':
      return typeof v === 'string' ? ifnameElement(v) : JSON.stringify(v);
    case 'inet_proto':
      if (typeof v === 'number' || typeof v === 'string') return String(protocolNumber(v) ?? v);
      break;
    case 'inet_service':
    case 'mark':
      if (typeof v === 'number') return String(v);
      if (isObject(v) && Array.isArray(v.range)) return `${String(v.range[0])}-${String(v.range[1])}`;
      break;
    default:
      if (typeof v === 'number' || typeof v === 'string') return String(v);
  }
  return JSON.stringify(v);
}

/** Unwraps `{"elem": {"val": …}}` (elements listed with attributes). */
function unwrap(v: Json): Json {
  return isObject(v) && isObject(v.elem) && 'val' in v.elem ? v.elem.val! : v;
}

/** The canonical text of one listed set key, given the set's key type components. */
export function keyText(types: readonly string[], raw: Json): string {
  const v = unwrap(raw);
  if (types.length === 1) return componentText(types[0]!, v);
  if (isObject(v) && Array.isArray(v.concat)) {
    return v.concat.map((part, i) => componentText(types[i] ?? '', part)).join(' . ');
  }
  return JSON.stringify(v);
}

/** The canonical text of a listed map value: verdicts as `goto x`/`jump x`/`accept`, others by type. */
export function valueText(mapType: string, raw: Json): string {
  if (mapType === 'verdict' && isObject(raw)) {
    for (const verdict of ['goto', 'jump']) {
      const target = raw[verdict];
      if (isObject(target) && typeof target.target === 'string') return `${verdict} ${target.target}`;
    }
    const keys = Object.keys(raw);
    if (keys.length === 1) return keys[0]!;
  }
  return componentText(mapType, raw);
}

/** Address text for map values (`ipv4_addr` maps hold plain addresses). */
export function addressValue(family: 4 | 6, text: string): string | undefined {
  const c = parseCidr(text);
  return c && c.len === (family === 4 ? 32 : 128) && c.family === family ? formatAddress(c.family, c.bits) : undefined;
}

export type { Json };
