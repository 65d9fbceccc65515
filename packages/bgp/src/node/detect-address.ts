/**
 * The host's BGP address, chosen as calico-node chooses it: an explicit `IP`/`IP6` value,
 * or autodetection by `IP_AUTODETECTION_METHOD`/`IP6_AUTODETECTION_METHOD`
 * (`first-found`, `interface=<regex,…>`, `skip-interface=<regex,…>`, `can-reach=<address>`,
 * `cidr=<cidr,…>`). Results are `address/prefix-length`, the form Node.spec.bgp stores.
 * @module
 */
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { cidrContains, parsePrefix } from './cidr.ts';

/** One address on one interface. */
export interface InterfaceAddress {
  iface: string;
  address: string;
  prefixLength: number;
  family: 4 | 6;
}

/** An autodetection method, parsed. */
export type AutodetectMethod =
  | { kind: 'first-found' }
  | { kind: 'interface'; patterns: RegExp[] }
  | { kind: 'skip-interface'; patterns: RegExp[] }
  | { kind: 'can-reach'; destination: string }
  | { kind: 'cidr'; cidrs: string[] };

/** An IP/IP6 or autodetection setting that cannot be used. */
export class AddressConfigError extends Error {
  readonly code = 'BGP_ADDRESS_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'AddressConfigError';
  }
}

/**
 * Interfaces first-found never picks (calico-node's default exclusions, plus `tap.*`: the
 * OpenStack VM taps).
 */
export const DEFAULT_EXCLUDED_INTERFACES: readonly RegExp[] = [
  '^docker.*', '^cbr.*', '^dummy.*', '^virbr.*', '^lxcbr.*', '^veth.*', '^lo$', '^cali.*', '^tunl.*', '^flannel.*',
  '^kube-ipvs.*', '^cni.*', '^vxlan.calico.*', '^vxlan-v6.calico.*', '^wireguard.cali.*', '^wg-v6.cali.*',
  '^nodelocaldns.*', '^podman.*', '^tap.*',
].map((p) => new RegExp(p));

/**
 * Parses an autodetection method as calico-node spells it.
 * @throws {AddressConfigError}
 */
export function parseAutodetectMethod(text: string, variable = 'IP_AUTODETECTION_METHOD'): AutodetectMethod {
  const t = text.trim();
  if (t === '' || t === 'first-found') return { kind: 'first-found' };
  const eq = t.indexOf('=');
  const [name, value] = eq < 0 ? [t, ''] : [t.slice(0, eq), t.slice(eq + 1)];
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const regexes = () => list.map((p) => {
    try {
      return new RegExp(p);
    } catch (err) {
      throw new AddressConfigError(`${variable}: invalid interface regular expression "${p}": ${(err as Error).message}`);
    }
  });
  if (name === 'interface' && list.length > 0) return { kind: 'interface', patterns: regexes() };
  if (name === 'skip-interface' && list.length > 0) return { kind: 'skip-interface', patterns: regexes() };
  if (name === 'can-reach' && value.trim() !== '') return { kind: 'can-reach', destination: value.trim() };
  if (name === 'cidr' && list.length > 0) {
    for (const c of list) if (!parsePrefix(c)) throw new AddressConfigError(`${variable}: invalid CIDR "${c}"`);
    return { kind: 'cidr', cidrs: list };
  }
  throw new AddressConfigError(`${variable}: unknown autodetection method "${t}" (use first-found, interface=, skip-interface=, can-reach= or cidr=)`);
}

/** The host's addresses, from the kernel (of the network namespace the process runs in). */
export function listInterfaceAddresses(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [iface, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      const prefixLength = Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128));
      out.push({ iface, address: a.address, prefixLength, family: a.family === 'IPv4' ? 4 : 6 });
    }
  }
  return out;
}

/** Addresses worth announcing: not loopback, not link-local. */
function usable(a: InterfaceAddress): boolean {
  if (a.family === 4) return !cidrContains('127.0.0.0/8', a.address) && !cidrContains('169.254.0.0/16', a.address);
  return a.address !== '::1' && !cidrContains('fe80::/10', a.address);
}

/** How detection reaches the system; tests replace both. */
export interface DetectDeps {
  addresses(): InterfaceAddress[];
  /** The local source address the kernel would use towards `destination`. */
  sourceAddressFor(destination: string, family: 4 | 6): Promise<string>;
}

/** A connected UDP socket sends nothing; its local address is the kernel's route choice. */
function sourceAddressFor(destination: string, family: 4 | 6): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect(9, destination, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

export const SYSTEM_DETECT_DEPS: DetectDeps = { addresses: listInterfaceAddresses, sourceAddressFor };

/**
 * Finds this host's address of one family by `method`; `undefined` when nothing qualifies.
 * Interfaces are tried in name order so the choice does not depend on enumeration order.
 */
export async function autodetectAddress(family: 4 | 6, method: AutodetectMethod, deps: DetectDeps = SYSTEM_DETECT_DEPS): Promise<string | undefined> {
  const all = deps.addresses().filter((a) => a.family === family && usable(a))
    .sort((a, b) => (a.iface < b.iface ? -1 : a.iface > b.iface ? 1 : 0));
  const format = (a: InterfaceAddress) => `${a.address}/${a.prefixLength}`;
  switch (method.kind) {
    case 'first-found': {
      const found = all.find((a) => !DEFAULT_EXCLUDED_INTERFACES.some((r) => r.test(a.iface)));
      return found && format(found);
    }
    case 'interface': {
      const found = all.find((a) => method.patterns.some((r) => r.test(a.iface)));
      return found && format(found);
    }
    case 'skip-interface': {
      const found = all.find((a) => !DEFAULT_EXCLUDED_INTERFACES.some((r) => r.test(a.iface)) && !method.patterns.some((r) => r.test(a.iface)));
      return found && format(found);
    }
    case 'cidr': {
      const found = all.find((a) => method.cidrs.some((c) => cidrContains(c, a.address)));
      return found && format(found);
    }
    case 'can-reach': {
      let destination = method.destination;
      if (!parsePrefix(destination)) throw new AddressConfigError(`can-reach: "${destination}" is not an IP address`);
      destination = destination.split('/')[0]!;
      if (parsePrefix(destination)!.family !== family) return undefined;
      const source = await deps.sourceAddressFor(destination, family);
      const found = all.find((a) => a.address === source);
      return found ? format(found) : `${source}/${family === 4 ? 32 : 128}`;
    }
  }
}

/**
 * Turns an explicit `IP`/`IP6` value into `address/len`: a CIDR is taken as is; a bare
 * address gets the prefix length of the interface that carries it (else /32 or /128).
 * @throws {AddressConfigError}
 */
export function explicitAddress(value: string, family: 4 | 6, variable: string, deps: Pick<DetectDeps, 'addresses'> = SYSTEM_DETECT_DEPS): string {
  const p = parsePrefix(value);
  if (!p || p.family !== family) throw new AddressConfigError(`${variable}: "${value}" is not an IPv${family} address or CIDR`);
  if (value.includes('/')) return value.trim();
  const onHost = deps.addresses().find((a) => a.family === family && a.address === value.trim());
  return `${value.trim()}/${onHost?.prefixLength ?? (family === 4 ? 32 : 128)}`;
}
