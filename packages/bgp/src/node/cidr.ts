/**
 * Just enough IP arithmetic for address autodetection: parse an IPv4/IPv6 address or CIDR
 * and test containment. Addresses become bigints so both families share one code path.
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A parsed prefix: family, network bits as a bigint and prefix length. */
export interface Prefix {
  family: 4 | 6;
  bits: bigint;
  length: number;
}

function v6ToBigint(address: string): bigint {
  let text = address.split('%')[0]!;
  // An embedded dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = v4ToBigint(quad[1]!);
    text = `${text.slice(0, -quad[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function v4ToBigint(address: string): bigint {
  return address.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

/** Parses `a.b.c.d`, `a.b.c.d/n`, `v6` or `v6/n`; undefined when it is neither. */
export function parsePrefix(text: string): Prefix | undefined {
  const [address, len, ...rest] = text.trim().split('/');
  if (address === undefined || rest.length > 0) return undefined;
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  if (!family) return undefined;
  const max = family === 4 ? 32 : 128;
  const length = len === undefined ? max : /^\d+$/.test(len) ? Number(len) : NaN;
  if (!(length >= 0 && length <= max)) return undefined;
  return { family, bits: family === 4 ? v4ToBigint(address) : v6ToBigint(address), length };
}

/** True when `address` (plain) lies inside `cidr`. */
export function cidrContains(cidr: string, address: string): boolean {
  const net = parsePrefix(cidr);
  const ip = parsePrefix(address.split('/')[0]!);
  if (!net || !ip || net.family !== ip.family) return false;
  const shift = BigInt((net.family === 4 ? 32 : 128) - net.length);
  return net.bits >> shift === ip.bits >> shift;
}
