/**
 * CIDR text as Python's netaddr prints it (`str(IPNetwork(cidr))`), which networking-calico
 * writes into the subnet records the DHCP agent reads: host bits kept, IPv6 in glibc
 * `inet_ntop` form (lower case, longest zero run of two or more groups compressed, and the
 * IPv4-compatible and IPv4-mapped forms written with a dotted quad).
 * @module
 */
import { inetNtop6 } from '@percale/api';

/**
 * `cidr` normalised the way netaddr prints it, e.g. `2001:DB8:0:0::A/64` → `2001:db8::a/64`;
 * an address without a prefix gets `/32` or `/128`. Text that is not an IP network is returned unchanged.
 */
export function netaddrCidr(cidr: string): string {
  const slash = cidr.indexOf('/');
  const addressText = slash < 0 ? cidr : cidr.slice(0, slash);
  const prefixText = slash < 0 ? undefined : cidr.slice(slash + 1);
  if (addressText.includes(':')) {
    const words = parseIPv6(addressText);
    const prefix = parsePrefix(prefixText, 128);
    return words && prefix !== undefined ? `${inetNtop6(words)}/${prefix}` : cidr;
  }
  const bytes = parseIPv4(addressText);
  const prefix = parsePrefix(prefixText, 32);
  return bytes && prefix !== undefined ? `${bytes.join('.')}/${prefix}` : cidr;
}

function parsePrefix(text: string | undefined, max: number): number | undefined {
  if (text === undefined) return max;
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

function parseIPv6(text: string): number[] | undefined {
  // A trailing dotted quad stands for the last two groups.
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    body = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length;
  if (halves.length === 1) return explicit === 8 ? head : undefined;
  if (explicit > 7) return undefined;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
}
