/**
 * IPv4 addresses as unsigned 32-bit numbers, for the encapsulation code (tunnel routes, tunnel
 * address choice) that does prefix arithmetic on every workload address and wants no bigint.
 * @module
 */

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** An IPv4 address as an unsigned 32-bit number, or undefined. */
export function ipv4ToNumber(text: string): number | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i]!.length > 1 && m[i]!.startsWith('0'))) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** The network number of `address` under a prefix of `len` bits. */
export function ipv4Network(address: number, len: number): number {
  return len === 0 ? 0 : address - (address % 2 ** (32 - len));
}

/** Parses `a.b.c.d/len` (or a bare address, as /32) into [address, len]. */
export function parseIPv4Cidr(text: string): [number, number] | undefined {
  const slash = text.indexOf('/');
  const address = ipv4ToNumber(slash < 0 ? text : text.slice(0, slash));
  const len = slash < 0 ? 32 : Number(text.slice(slash + 1));
  if (address === undefined || !Number.isInteger(len) || len < 0 || len > 32 || (slash >= 0 && !/^\d{1,2}$/.test(text.slice(slash + 1)))) return undefined;
  return [address, len];
}

/** Dotted-quad text of an unsigned 32-bit number. */
export function formatIPv4(n: number): string {
  return `${Math.floor(n / 16777216)}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}
