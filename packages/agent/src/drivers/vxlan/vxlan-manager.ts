/**
 * The kernel half of VXLAN (Felix's VXLAN manager and FDB, bgp.md §6.2): while an IPv4 pool
 * has `vxlanMode` other than `Never`, keeps `vxlan.calico` (VNI, UDP port, MTU, this host's
 * tunnel address and MAC from its VTEP, learning off, on the interface holding the host's
 * address) and, for every other host's VTEP, a permanent neighbour entry (tunnel address → MAC),
 * an FDB entry (MAC → host address) and a route to its tunnel address; for every remote workload
 * address in a VXLAN pool a route `via <tunnel address> dev vxlan.calico onlink`, or, for
 * CrossSubnet pools and hosts on this host's subnet, `via <host address>` unencapsulated.
 * Without a VXLAN pool the device and those routes are removed. IPIP is never programmed.
 *
 * Every apply that has something to do reads the device, the routes of protocol 80 outside
 * workload interfaces, and the device's neighbours and FDB, and writes only the difference
 * (so foreign changes are repaired at the next refresh).
 * @module
 */
import type { DataplaneMessage, IPPoolInfo, RemoteWorkloadRoute, VTEP } from '../../messages.ts';
import type { KernelRoute } from '../../shims/ip.ts';
import { SILENT_LOG, type DriverLog } from '../routes/driver-log.ts';
import type { VxlanFdbEntry, VxlanKernel, VxlanLink, VxlanNeighbour } from './vxlan-kernel.ts';

/** Felix's VXLAN device name (IPv4). */
export const VXLAN_DEVICE = 'vxlan.calico';
/** Felix's protocol for the routes it programs through tunnels (and `EXCLUSIVE_ROUTE_PROTOCOL`). */
export const VXLAN_ROUTE_PROTOCOL = 80;
/** VXLAN over IPv4 costs 50 bytes: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
const VXLAN_OVERHEAD = 50;

/** Configuration; names in comments are Felix's parameters. */
export interface VxlanConfig {
  /** `FelixHostname`: which VTEP is this host's. */
  hostname: string;
  /** `VXLANEnabled`: undefined follows the pools. */
  enabled?: boolean;
  /** `VXLANVNI` (default 4096). */
  vni?: number;
  /** `VXLANPort` (default 4789). */
  port?: number;
  /** `VXLANMTU`; 0 or absent: the parent's MTU minus 50. */
  mtu?: number;
  /** Workload interface prefixes: protocol-80 routes on them belong to the route table. */
  workloadPrefixes: readonly string[];
  /** Device name (default `vxlan.calico`). */
  device?: string;
}

/** Outcome of one apply. */
export interface VxlanApplyResult {
  /** Commands written. */
  writes: number;
  /** Writes that failed (retried on the next apply). */
  failures: number;
}

interface DesiredRoute {
  cidr: string;
  gateway: string | undefined;
  /** Undefined: any device (the kernel resolves the gateway on the underlay). */
  dev: string | undefined;
  onlink: boolean;
}

function isIPv4(cidr: string): boolean {
  return !cidr.includes(':');
}

function asksForVXLAN(pool: IPPoolInfo): boolean {
  return pool.vxlanMode !== 'Never' && pool.vxlanMode !== '';
}

/** True when `pool` asks for VXLAN (IPv4 only: IPv6 VXLAN is not implemented). */
export function poolWantsVXLAN(pool: IPPoolInfo): boolean {
  return isIPv4(pool.cidr) && asksForVXLAN(pool);
}

/** The VXLAN device, its neighbours, FDB and routes. */
export class VxlanManager {
  readonly #kernel: VxlanKernel;
  readonly #log: DriverLog;
  readonly #hostname: string;
  readonly #device: string;
  readonly #vni: number;
  readonly #port: number;
  readonly #mtu: number;
  readonly #enabled: boolean | undefined;
  readonly #workloadPrefixes: readonly string[];
  readonly #pools = new Map<string, IPPoolInfo>();
  readonly #vteps = new Map<string, VTEP>();
  readonly #routes = new Map<string, RemoteWorkloadRoute>();
  readonly #warned = new Set<string>();
  #dirty = true;

  constructor(config: VxlanConfig, deps: { kernel: VxlanKernel; log?: DriverLog }) {
    this.#kernel = deps.kernel;
    this.#log = deps.log ?? SILENT_LOG;
    this.#hostname = config.hostname;
    this.#device = config.device ?? VXLAN_DEVICE;
    this.#vni = config.vni ?? 4096;
    this.#port = config.port ?? 4789;
    this.#mtu = config.mtu ?? 0;
    this.#enabled = config.enabled;
    this.#workloadPrefixes = config.workloadPrefixes;
  }

  /** Records a message (no I/O). */
  onMessage(msg: DataplaneMessage): void {
    switch (msg.type) {
      case 'ippool-update':
        this.#pools.set(msg.id, msg.pool);
        this.#checkIPIP(msg.id, msg.pool);
        break;
      case 'ippool-remove':
        this.#pools.delete(msg.id);
        break;
      case 'vtep-update':
        this.#vteps.set(msg.vtep.node, msg.vtep);
        break;
      case 'vtep-remove':
        this.#vteps.delete(msg.node);
        break;
      case 'route-update':
        this.#routes.set(msg.route.cidr, msg.route);
        break;
      case 'route-remove':
        this.#routes.delete(msg.cidr);
        break;
      default:
        return;
    }
    this.#dirty = true;
  }

  /** Re-read and repair at the next apply (route refresh timer, failures). */
  queueResync(): void {
    this.#dirty = true;
  }

  /** True while VXLAN is in use: forced by `VXLANEnabled`, else any IPv4 VXLAN pool. */
  get active(): boolean {
    return this.#enabled ?? [...this.#pools.values()].some(poolWantsVXLAN);
  }

  /** True for a main-table route this manager owns (the route table must leave it alone). */
  owns(route: KernelRoute): boolean {
    return route.family === 4 && route.protocol === VXLAN_ROUTE_PROTOCOL && !this.#isWorkload(route.dev);
  }

  /** Programs the difference between the desired and the kernel state. */
  async apply(): Promise<VxlanApplyResult> {
    if (!this.#dirty) return { writes: 0, failures: 0 };
    this.#dirty = false;
    try {
      const r = await this.#apply();
      if (r.failures > 0) this.#dirty = true;
      return r;
    } catch (err) {
      this.#dirty = true;
      throw err;
    }
  }

  async #apply(): Promise<VxlanApplyResult> {
    const local = this.#vteps.get(this.#hostname);
    // With the device wanted, one read of every link also finds its parent; otherwise just the device.
    const wanted = this.active && local !== undefined;
    const [links, routes] = await Promise.all([this.#kernel.links(wanted ? undefined : this.#device), this.#kernel.routes()]);
    const device = links.find((l) => l.name === this.#device);
    const ours = routes.filter((r) => this.owns(r));
    if (!this.active || local === undefined) {
      if (this.active) this.#warnOnce('no-vtep', `VXLAN is in use but Node "${this.#hostname}" has no IPv4 address and ipv4VXLANTunnelAddr yet; ${this.#device} is not programmed`);
      const lines = ours.filter((r) => r.dev !== this.#device).map((r) => `route del ${r.dst}${r.dev ? ` dev ${r.dev}` : ''} proto ${VXLAN_ROUTE_PROTOCOL}`);
      if (device && !this.active) lines.unshift(`link del ${this.#device}`);
      return this.#write(lines, []);
    }
    this.#warned.delete('no-vtep');

    const parent = links.find((l) => l.name !== this.#device && l.addrs.some((a) => a.split('/')[0] === local.parentDeviceIP));
    if (parent === undefined) {
      this.#warnOnce('no-parent', `VXLAN: no interface holds this host's address "${local.parentDeviceIP}" (Node "${this.#hostname}" spec.bgp.ipv4Address); ${this.#device} is not programmed`);
      this.#dirty = true;
      return { writes: 0, failures: 0 };
    }
    this.#warned.delete('no-parent');

    const ipLines: string[] = [];
    const mtu = this.#mtu > 0 ? this.#mtu : parent.mtu - VXLAN_OVERHEAD;
    const recreate = device !== undefined && this.#incompatible(device, parent.name, local.parentDeviceIP);
    if (recreate) {
      this.#log.info('Recreating the VXLAN device: its parameters differ', { device: this.#device });
      ipLines.push(`link del ${this.#device}`);
    }
    const fresh = device === undefined || recreate;
    if (fresh) ipLines.push(`link add ${this.#device} type vxlan id ${this.#vni} dstport ${this.#port} local ${local.parentDeviceIP} dev ${parent.name} nolearning`);
    if (fresh || device.mac !== local.mac.toLowerCase() || device.mtu !== mtu || !device.adminUp) {
      ipLines.push(`link set ${this.#device} address ${local.mac} mtu ${mtu} up`);
    }
    const tunnelCidr = `${local.ipv4Addr}/32`;
    const haveAddrs = fresh ? [] : device.addrs.filter((a) => isIPv4(a));
    if (!haveAddrs.includes(tunnelCidr)) ipLines.push(`addr replace ${tunnelCidr} dev ${this.#device}`);
    for (const a of haveAddrs) if (a !== tunnelCidr) ipLines.push(`addr del ${a} dev ${this.#device}`);

    // Neighbours and FDB entries: one per other host's VTEP.
    const remote = [...this.#vteps.values()].filter((v) => v.node !== this.#hostname);
    const [neigh, fdb] = fresh ? [[], []] as [VxlanNeighbour[], VxlanFdbEntry[]] : await Promise.all([this.#kernel.neighbours(this.#device), this.#kernel.fdb(this.#device)]);
    const wantNeigh = new Map(remote.map((v) => [v.ipv4Addr, v.mac.toLowerCase()]));
    for (const n of neigh) if (!wantNeigh.has(n.ip)) ipLines.push(`neigh del ${n.ip} dev ${this.#device}`);
    for (const [ip, mac] of wantNeigh) {
      if (neigh.some((n) => n.ip === ip && n.mac === mac)) continue;
      ipLines.push(`neigh replace ${ip} lladdr ${mac} dev ${this.#device} nud permanent`);
    }
    const wantFdb = new Map(remote.map((v) => [v.mac.toLowerCase(), v.parentDeviceIP]));
    const bridgeLines: string[] = [];
    for (const e of fdb) {
      // The kernel's own all-zero default entry exists only with a `remote`; never configured here.
      if (wantFdb.get(e.mac) !== e.dst) bridgeLines.push(`fdb del ${e.mac} dev ${this.#device}${e.dst ? ` dst ${e.dst}` : ''} self`);
    }
    for (const [mac, dst] of wantFdb) {
      if (fdb.some((e) => e.mac === mac && e.dst === dst)) continue;
      bridgeLines.push(`fdb replace ${mac} dev ${this.#device} dst ${dst} self permanent`);
    }

    // Routes.
    const want = this.#desiredRoutes(remote);
    const have = new Map<string, KernelRoute[]>();
    for (const r of fresh ? ours.filter((r) => r.dev !== this.#device) : ours) {
      const list = have.get(r.dst);
      if (list) list.push(r);
      else have.set(r.dst, [r]);
    }
    const routeLines: string[] = [];
    for (const [cidr, routes] of have) {
      const d = want.get(cidr);
      for (const r of routes) {
        if (d && this.#routeMatches(r, d)) continue;
        // A replace below rewrites a same-key route in place; delete the rest.
        if (d && r.metric === 0) continue;
        routeLines.push(`route del ${r.dst}${r.dev ? ` dev ${r.dev}` : ''} proto ${VXLAN_ROUTE_PROTOCOL} metric ${r.metric}`);
      }
    }
    for (const [cidr, d] of want) {
      if (have.get(cidr)?.some((r) => this.#routeMatches(r, d))) continue;
      routeLines.push(`route replace ${cidr}${d.gateway ? ` via ${d.gateway}` : ''}${d.dev ? ` dev ${d.dev}` : ''}${d.onlink ? ' onlink' : ''}${d.gateway ? '' : ' scope link'} proto ${VXLAN_ROUTE_PROTOCOL}`);
    }
    // Device and neighbours first (routes onlink need the device), FDB, then routes.
    return this.#write([...ipLines], bridgeLines, routeLines);
  }

  #desiredRoutes(remote: readonly VTEP[]): Map<string, DesiredRoute> {
    const want = new Map<string, DesiredRoute>();
    // Other hosts' tunnel addresses are directly reachable through the device.
    for (const v of remote) want.set(`${v.ipv4Addr}/32`, { cidr: `${v.ipv4Addr}/32`, gateway: undefined, dev: this.#device, onlink: false });
    for (const r of this.#routes.values()) {
      if (r.encap !== 'vxlan') continue;
      if (r.sameSubnet) {
        if (r.dstNodeIP !== undefined) want.set(r.cidr, { cidr: r.cidr, gateway: r.dstNodeIP, dev: undefined, onlink: false });
        continue;
      }
      const vtep = this.#vteps.get(r.dstNode);
      // Without the remote VTEP there is nothing to route through; its arrival re-applies.
      if (vtep !== undefined) want.set(r.cidr, { cidr: r.cidr, gateway: vtep.ipv4Addr, dev: this.#device, onlink: true });
    }
    return want;
  }

  #routeMatches(have: KernelRoute, want: DesiredRoute): boolean {
    return have.gateway === want.gateway && (want.dev === undefined || have.dev === want.dev) && have.metric === 0 && !have.multipath;
  }

  #incompatible(device: VxlanLink, parent: string, local: string): boolean {
    const v = device.vxlan;
    return device.kind !== 'vxlan' || v === undefined || v.vni !== this.#vni || v.port !== this.#port || v.local !== local
      || (v.parent !== undefined && v.parent !== parent) || v.learning;
  }

  async #write(ipLines: readonly string[], bridgeLines: readonly string[], routeLines: readonly string[] = []): Promise<VxlanApplyResult> {
    let failures = 0;
    const run = async (what: string, lines: readonly string[], batch: (l: readonly string[]) => Promise<{ failures: Map<number, string>; aborted: boolean; stderr: string }>) => {
      if (lines.length === 0) return;
      const r = await batch(lines);
      for (const [i, message] of r.failures) {
        // Deleting what is already gone has reached its goal.
        if (/ del /.test(` ${lines[i] ?? ''}`) && /No such|Cannot find|does not exist/.test(message)) continue;
        failures++;
        this.#log.warn(`VXLAN: ${what} command failed`, { command: lines[i], error: message });
      }
      if (r.aborted) {
        failures++;
        this.#log.warn(`VXLAN: ${what} batch stopped early`, { stderr: r.stderr });
      }
    };
    await run('ip', ipLines, (l) => this.#kernel.ip(l));
    await run('bridge', bridgeLines, (l) => this.#kernel.bridge(l));
    await run('ip route', routeLines, (l) => this.#kernel.ip(l));
    const writes = ipLines.length + bridgeLines.length + routeLines.length;
    if (writes > 0) this.#log.debug('VXLAN programmed', { writes, failures });
    return { writes, failures };
  }

  #checkIPIP(id: string, pool: IPPoolInfo): void {
    if (!isIPv4(pool.cidr) && asksForVXLAN(pool) && !this.#warned.has(`vxlan6:${id}`)) {
      this.#warned.add(`vxlan6:${id}`);
      this.#log.warn(`IP pool "${id}" (${pool.cidr}) has vxlanMode "${pool.vxlanMode}", but Percale implements VXLAN for IPv4 only (no vxlan-v6.calico): its workloads on other hosts get no routes from the agent`, { pool: id });
    }
    if (pool.ipipMode === 'Never' || pool.ipipMode === '' || this.#warned.has(`ipip:${id}`)) return;
    this.#warned.add(`ipip:${id}`);
    this.#log.warn(
      `IP pool "${id}" (${pool.cidr}) has ipipMode "${pool.ipipMode}", but Percale does not program IPIP (no tunl0, no IPIP routes): ` +
      'workloads in it are reachable from other hosts only if something else routes them; use vxlanMode or no encapsulation',
      { pool: id },
    );
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#log.warn(message);
  }

  #isWorkload(dev: string | undefined): boolean {
    return dev !== undefined && this.#workloadPrefixes.some((p) => dev.startsWith(p));
  }
}
