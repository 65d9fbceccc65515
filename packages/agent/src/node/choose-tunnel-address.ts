/**
 * Which IPv4 address this host's `vxlan.calico` gets. Calico allocates it from IPAM in a VXLAN
 * pool (calico-node's `allocateip`, handle `vxlan-tunnel-addr-<node>`); OpenStack deployments
 * have no IPAM blocks (Neutron allocates VM addresses), so Percale chooses deterministically:
 *
 * 1. keep the Node's current `ipv4VXLANTunnelAddr` (an operator may set it: that is the
 *    explicit configuration) while it lies in an enabled IPv4 VXLAN pool, is not a pool's
 *    network or broadcast address, is no workload's address, and no Node with a smaller name
 *    has it;
 * 2. otherwise probe each enabled VXLAN pool (by name) from an offset derived from the host name
 *    (SHA-256), wrapping around, for the first usable address that no workload and no other Node
 *    holds. Different hosts start at different places, so simultaneous starts rarely collide;
 *    when they do, the host with the larger name moves (rule 1) once it sees the other Node.
 * 3. no enabled VXLAN pool: no address.
 * @module
 */
import { createHash } from 'node:crypto';

import { formatIPv4, ipv4Network, ipv4ToNumber, parseIPv4Cidr } from '../calc/ipv4-number.ts';

/** An IP pool as the choice needs it. */
export interface TunnelPool {
  name: string;
  cidr: string;
  vxlanMode: string;
  disabled: boolean;
}

/** What the choice looks at. */
export interface TunnelAddressInput {
  hostname: string;
  /** The Node's current `ipv4VXLANTunnelAddr`, if any. */
  current: string | undefined;
  pools: readonly TunnelPool[];
  /** Other Nodes' tunnel addresses, by node name. */
  otherNodes: ReadonlyMap<string, string>;
  /** Every workload IPv4 address in the cluster. */
  workloadIPs: ReadonlySet<string>;
}

/** The chosen address (undefined: none) and why, for the log. */
export interface TunnelAddressChoice {
  address: string | undefined;
  reason: 'kept' | 'chosen' | 'no-vxlan-pool' | 'pools-full';
}

/** True for a `vxlanMode` that turns VXLAN on (anything but `Never` or unset). */
export function vxlanModeOn(mode: unknown): boolean {
  return typeof mode === 'string' && mode !== 'Never' && mode !== '';
}

/** True for a pool tunnel addresses may come from: enabled, with VXLAN on. */
export function isTunnelPool(pool: TunnelPool): boolean {
  return !pool.disabled && vxlanModeOn(pool.vxlanMode);
}

/** Enabled IPv4 pools with VXLAN, sorted by name. */
function vxlanPools(pools: readonly TunnelPool[]): { name: string; network: number; prefix: number }[] {
  const out: { name: string; network: number; prefix: number }[] = [];
  for (const p of pools) {
    if (!isTunnelPool(p)) continue;
    const c = parseIPv4Cidr(p.cidr);
    if (c === undefined) continue;
    out.push({ name: p.name, network: ipv4Network(c[0], c[1]), prefix: c[1] });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Usable host addresses of a pool: all but the network and broadcast address when there are more than two. */
function usable(network: number, prefix: number): [first: number, count: number] {
  const size = 2 ** (32 - prefix);
  return size > 2 ? [network + 1, size - 2] : [network, size];
}

/** Chooses this host's VXLAN tunnel address. */
export function chooseTunnelAddress(input: TunnelAddressInput): TunnelAddressChoice {
  const pools = vxlanPools(input.pools);
  if (pools.length === 0) return { address: undefined, reason: 'no-vxlan-pool' };
  const takenByOthers = new Map<string, string>();
  for (const [node, addr] of input.otherNodes) {
    const prev = takenByOthers.get(addr);
    if (prev === undefined || node < prev) takenByOthers.set(addr, node);
  }
  const free = (addr: string) => !input.workloadIPs.has(addr) && !takenByOthers.has(addr);

  const current = input.current === undefined ? undefined : ipv4ToNumber(input.current);
  if (current !== undefined) {
    const inPool = pools.some((p) => {
      const [first, count] = usable(p.network, p.prefix);
      return current >= first && current < first + count;
    });
    const holder = takenByOthers.get(input.current!);
    if (inPool && !input.workloadIPs.has(input.current!) && (holder === undefined || holder > input.hostname)) {
      return { address: input.current, reason: 'kept' };
    }
  }

  const seed = createHash('sha256').update(input.hostname).digest().readUInt32BE(0);
  for (const p of pools) {
    const [first, count] = usable(p.network, p.prefix);
    const start = seed % count;
    for (let i = 0; i < count; i++) {
      const addr = formatIPv4(first + ((start + i) % count));
      if (free(addr)) return { address: addr, reason: 'chosen' };
    }
  }
  return { address: undefined, reason: 'pools-full' };
}
