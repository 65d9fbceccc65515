/**
 * The encapsulation part of the calculation graph (Felix's `VXLANResolver` plus the remote-
 * workload half of its `L3RouteResolver` with `RouteSource=WorkloadIPs`, since OpenStack has no
 * IPAM blocks): every host's VXLAN tunnel endpoint from its Node, and a route for every IPv4
 * workload address on another host that lies in a pool with `vxlanMode` or `ipipMode` other
 * than `Never`. Pools without encapsulation are BIRD's business (bgp.md §6.1) and yield nothing.
 * @module
 */
import type { RemoteWorkloadRoute, VTEP } from '../messages.ts';
import type { Dispatcher } from './dispatcher.ts';
import { ipv4Network, ipv4ToNumber, parseIPv4Cidr } from './ipv4-number.ts';
import { sha1 } from './sha1.ts';
import type { Update } from './update.ts';

/** Receives tunnel endpoints and routes: the event sequencer. */
export interface TunnelRouteListener {
  onVTEPUpdate(vtep: VTEP): void;
  onVTEPRemove(node: string): void;
  onRouteUpdate(route: RemoteWorkloadRoute): void;
  onRouteRemove(cidr: string): void;
}

type Spec = Record<string, unknown>;

interface NodeInfo {
  /** Underlay IPv4 address (no prefix). */
  ipv4?: string;
  /** The underlay subnet as [network, prefix length], from the address's prefix. */
  subnet?: readonly [number, number];
  tunnelAddr?: string;
  mac?: string;
}

interface PoolInfo {
  network: number;
  prefix: number;
  encap: 'vxlan' | 'ipip' | undefined;
  crossSubnet: boolean;
}

/**
 * The VTEP MAC Felix uses for a host whose Node names none: `0x66` ("f", a locally
 * administered unicast address) followed by the first five bytes of SHA-1 of the node name.
 */
export function vtepMACForNode(node: string): string {
  const sha = sha1(node);
  return [0x66, ...sha.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

// The graph never throws on bad data: a spec that is not an object counts as absent.
function specOf(update: Update): Spec | undefined {
  const spec = update.resource?.spec;
  return typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Spec) : undefined;
}

function encapOf(spec: Spec): { encap: PoolInfo['encap']; crossSubnet: boolean } {
  const vxlan = typeof spec.vxlanMode === 'string' && spec.vxlanMode !== '' && spec.vxlanMode !== 'Never' ? spec.vxlanMode : undefined;
  const ipip = typeof spec.ipipMode === 'string' && spec.ipipMode !== '' && spec.ipipMode !== 'Never' ? spec.ipipMode : undefined;
  // Validation refuses both on one pool; VXLAN wins if a bad pool slipped through.
  const mode = vxlan ?? ipip;
  return { encap: vxlan ? 'vxlan' : ipip ? 'ipip' : undefined, crossSubnet: mode === 'CrossSubnet' };
}

/** The IPv4 single addresses of an endpoint's packed value. */
function ipsOf(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const n of value.slice(value.indexOf('\0') + 1).split(',')) {
    if (!n.endsWith('/32')) continue;
    const ip = n.slice(0, -3);
    if (ipv4ToNumber(ip) !== undefined) out.push(ip);
  }
  return out;
}

function claim(owners: Map<string, string | Set<string>>, ip: string, key: string): void {
  const o = owners.get(ip);
  if (o === undefined) owners.set(ip, key);
  else if (typeof o === 'string') {
    if (o !== key) owners.set(ip, new Set([o, key]));
  } else o.add(key);
}

/** The endpoint whose address it is: the only claimant, or the smallest key. */
function ownerOf(o: string | ReadonlySet<string>): string {
  return typeof o === 'string' ? o : [...o].sort()[0]!;
}

function routeText(r: RemoteWorkloadRoute): string {
  return `${r.dstNode}|${r.dstNodeIP ?? ''}|${r.encap}|${r.sameSubnet}`;
}

function vtepText(v: VTEP): string {
  return `${v.parentDeviceIP}|${v.ipv4Addr}|${v.mac}`;
}

/** The tunnel-route node. */
export class TunnelRouteResolver {
  readonly #hostname: string;
  readonly #out: TunnelRouteListener;
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pools = new Map<string, PoolInfo>();
  /**
   * Endpoint key → `<node>\0<ipNetworks joined by ",">`: one string per endpoint, parsed only
   * while some pool encapsulates (most OpenStack clouds have none; 100k endpoints then cost ~10 MB
   * and no parsing).
   */
  readonly #endpoints = new Map<string, string>();
  /**
   * IPv4 address → the key of the endpoint claiming it, or the keys when several do (the
   * smallest wins). Built only while some pool encapsulates; a plain string in the common case.
   */
  #owners: Map<string, string | Set<string>> | undefined;
  readonly #sentRoutes = new Map<string, string>();
  readonly #sentVTEPs = new Map<string, string>();
  #encapPools = 0;
  /** Work for `flush()`: every route (pools, this host's subnet), routes to some hosts, some addresses. */
  #dirtyAll = false;
  readonly #dirtyNodes = new Set<string>();
  readonly #dirtyIPs = new Set<string>();

  constructor(hostname: string, out: TunnelRouteListener) {
    this.#hostname = hostname;
    this.#out = out;
  }

  /** Takes WorkloadEndpoints, IPPools and Nodes. */
  registerWith(dispatcher: Dispatcher): void {
    dispatcher.register('WorkloadEndpoint', (u) => this.onEndpointUpdate(u));
    dispatcher.register('IPPool', (u) => this.onPoolUpdate(u));
    dispatcher.register('Node', (u) => this.onNodeUpdate(u));
  }

  /** A workload endpoint changed: its addresses may need routes. */
  onEndpointUpdate(update: Update): void {
    const spec = specOf(update);
    const before = this.#endpoints.get(update.key);
    let after: string | undefined;
    if (spec !== undefined && typeof spec.node === 'string' && Array.isArray(spec.ipNetworks) && spec.ipNetworks.length > 0) {
      after = `${spec.node}\0${spec.ipNetworks.filter((n) => typeof n === 'string').join(',')}`;
    }
    if (before === after) return;
    if (after === undefined) this.#endpoints.delete(update.key);
    else this.#endpoints.set(update.key, after);
    const owners = this.#owners;
    if (owners === undefined) return;
    const touched = new Set<string>();
    for (const ip of ipsOf(before)) {
      touched.add(ip);
      this.#unclaim(owners, ip, update.key);
    }
    for (const ip of ipsOf(after)) {
      touched.add(ip);
      claim(owners, ip, update.key);
    }
    if (!this.#dirtyAll) for (const ip of touched) this.#dirtyIPs.add(ip);
  }

  /** An IP pool changed: routes in it may appear, change or go. */
  onPoolUpdate(update: Update): void {
    const spec = specOf(update);
    const cidr = typeof spec?.cidr === 'string' ? parseIPv4Cidr(spec.cidr) : undefined;
    const before = this.#pools.get(update.name);
    if (before?.encap) this.#encapPools--;
    this.#pools.delete(update.name);
    if (spec !== undefined && cidr !== undefined) {
      const pool: PoolInfo = { network: ipv4Network(cidr[0], cidr[1]), prefix: cidr[1], ...encapOf(spec) };
      this.#pools.set(update.name, pool);
      if (pool.encap) this.#encapPools++;
    }
    // Any pool can change which pool is the most specific for an address.
    if (this.#encapPools > 0 || this.#sentRoutes.size > 0) this.#dirtyAll = true;
  }

  /** A Node changed: its VTEP, and routes to (or, for this host, from) it. */
  onNodeUpdate(update: Update): void {
    const spec = specOf(update);
    const before = this.#nodes.get(update.name);
    if (spec === undefined) {
      this.#nodes.delete(update.name);
    } else {
      const info: NodeInfo = {};
      const bgp = typeof spec.bgp === 'object' && spec.bgp !== null ? (spec.bgp as Spec) : undefined;
      const text = typeof bgp?.ipv4Address === 'string' ? bgp.ipv4Address : undefined;
      const addr = text === undefined ? undefined : parseIPv4Cidr(text);
      if (text !== undefined && addr) {
        info.ipv4 = text.split('/')[0]!;
        // A bare address says nothing about the subnet: treat it as a /32 (never "same subnet").
        info.subnet = [ipv4Network(addr[0], addr[1]), addr[1]];
      }
      if (typeof spec.ipv4VXLANTunnelAddr === 'string' && ipv4ToNumber(spec.ipv4VXLANTunnelAddr) !== undefined) info.tunnelAddr = spec.ipv4VXLANTunnelAddr;
      if (typeof spec.vxlanTunnelMACAddr === 'string' && /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(spec.vxlanTunnelMACAddr)) info.mac = spec.vxlanTunnelMACAddr.toLowerCase();
      this.#nodes.set(update.name, info);
    }
    this.#sendVTEP(update.name);
    // Routes depend only on host addresses: tunnel-address and MAC writes cost no route work.
    const after = this.#nodes.get(update.name);
    if (update.name === this.#hostname) {
      if (String(before?.subnet) !== String(after?.subnet)) this.#dirtyAll = true;
    } else if (before?.ipv4 !== after?.ipv4) {
      this.#dirtyNodes.add(update.name);
    }
  }

  /**
   * Sends the route changes the updates since the last flush caused (once per flush, however
   * many Nodes or pools changed). Called by the graph before the sequencer flushes.
   */
  flush(): void {
    if (this.#encapPools === 0) {
      this.#owners = undefined;
      for (const cidr of this.#sentRoutes.keys()) this.#out.onRouteRemove(cidr);
      this.#sentRoutes.clear();
    } else if (this.#owners === undefined || this.#dirtyAll) {
      this.#recomputeAll();
    } else {
      if (this.#dirtyNodes.size > 0) {
        for (const [ip, o] of this.#owners) {
          const value = this.#endpoints.get(ownerOf(o));
          if (value !== undefined && this.#dirtyNodes.has(value.slice(0, value.indexOf('\0')))) this.#recompute(ip);
        }
      }
      for (const ip of this.#dirtyIPs) this.#recompute(ip);
    }
    this.#dirtyAll = false;
    this.#dirtyNodes.clear();
    this.#dirtyIPs.clear();
  }

  #sendVTEP(node: string): void {
    const info = this.#nodes.get(node);
    const sent = this.#sentVTEPs.get(node);
    if (info?.ipv4 === undefined || info.tunnelAddr === undefined) {
      if (sent !== undefined) {
        this.#sentVTEPs.delete(node);
        this.#out.onVTEPRemove(node);
      }
      return;
    }
    const vtep: VTEP = { node, parentDeviceIP: info.ipv4, ipv4Addr: info.tunnelAddr, mac: info.mac ?? vtepMACForNode(node) };
    const text = vtepText(vtep);
    if (sent === text) return;
    this.#sentVTEPs.set(node, text);
    this.#out.onVTEPUpdate(vtep);
  }

  #unclaim(owners: Map<string, string | Set<string>>, ip: string, key: string): void {
    const o = owners.get(ip);
    if (o === undefined) return;
    if (typeof o === 'string') {
      if (o === key) owners.delete(ip);
      return;
    }
    o.delete(key);
    if (o.size === 1) owners.set(ip, o.values().next().value!);
  }

  #recomputeAll(): void {
    if (this.#owners === undefined) {
      const owners = new Map<string, string | Set<string>>();
      for (const [key, value] of this.#endpoints) for (const ip of ipsOf(value)) claim(owners, ip, key);
      this.#owners = owners;
    }
    const seen = new Set<string>();
    for (const ip of this.#owners.keys()) {
      seen.add(`${ip}/32`);
      this.#recompute(ip);
    }
    for (const cidr of [...this.#sentRoutes.keys()]) {
      if (seen.has(cidr)) continue;
      this.#sentRoutes.delete(cidr);
      this.#out.onRouteRemove(cidr);
    }
  }

  #recompute(ip: string): void {
    const cidr = `${ip}/32`;
    const route = this.#routeFor(ip);
    const sent = this.#sentRoutes.get(cidr);
    if (route === undefined) {
      if (sent !== undefined) {
        this.#sentRoutes.delete(cidr);
        this.#out.onRouteRemove(cidr);
      }
      return;
    }
    const text = routeText(route);
    if (sent === text) return;
    this.#sentRoutes.set(cidr, text);
    this.#out.onRouteUpdate(route);
  }

  #routeFor(ip: string): RemoteWorkloadRoute | undefined {
    const owners = this.#owners?.get(ip);
    if (owners === undefined) return undefined;
    const value = this.#endpoints.get(ownerOf(owners));
    const node = value?.slice(0, value.indexOf('\0'));
    if (node === undefined || node === this.#hostname) return undefined;
    const address = ipv4ToNumber(ip)!;
    let pool: PoolInfo | undefined;
    for (const p of this.#pools.values()) {
      if (ipv4Network(address, p.prefix) !== p.network) continue;
      if (!pool || p.prefix > pool.prefix) pool = p;
    }
    if (pool?.encap === undefined) return undefined;
    const remote = this.#nodes.get(node);
    const local = this.#nodes.get(this.#hostname);
    let sameSubnet = false;
    if (pool.crossSubnet && remote?.ipv4 !== undefined && local?.subnet !== undefined) {
      const [network, len] = local.subnet;
      sameSubnet = ipv4Network(ipv4ToNumber(remote.ipv4)!, len) === network;
    }
    return {
      cidr: `${ip}/32`,
      dstNode: node,
      ...(remote?.ipv4 !== undefined ? { dstNodeIP: remote.ipv4 } : {}),
      encap: pool.encap,
      sameSubnet,
    };
  }
}
