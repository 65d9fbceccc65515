/**
 * Which BGP sessions this host runs (spec bgp.md §4): the node-to-node mesh, BGPPeer resources
 * (global, per-node, selector-based), their reverse peerings, route-reflector client marking
 * and the passive side of each pair. Pure: the same inputs give the same list, sorted by name.
 * @module
 */
import { parseSelector, type Resource } from '@percale/api';
import {
  BGP_PORT, durationSeconds, parsePeerIP, type BgpNode, type BgpSettings, type Family, type SecretRef,
} from './bgp-model.ts';

/** One BGP session of this host, ready to render. */
export interface Peering {
  /** BIRD protocol name: `Mesh_…`, `Global_…` or `Node_…` (what `calicoctl node status` reads). */
  readonly name: string;
  readonly kind: 'mesh' | 'global' | 'node';
  readonly family: Family;
  readonly address: string;
  /** Remote port when not 179. */
  readonly port?: number;
  readonly asNumber: number;
  /** `localASNumber` of the BGPPeer, when it overrides this node's AS. */
  readonly localASNumber?: number;
  /** iBGP: the peer's AS equals the effective local AS. Decides the export filter. */
  readonly internal: boolean;
  readonly passive: boolean;
  /** This node's address of the family, when the session binds to it. */
  readonly sourceAddress?: string;
  readonly ttlSecurity?: number;
  readonly password?: SecretRef;
  readonly restartTime?: number;
  readonly keepaliveTime?: number;
  readonly numAllowedLocalAS?: number;
  readonly nextHop?: 'self' | 'keep';
  /** Set on a route reflector for a client session: the RR's cluster id. */
  readonly rrClusterId?: string;
  /** A gateway for a static host route to the peer (`reachableBy`). */
  readonly reachableBy?: string;
  /** BGPFilter names, in the BGPPeer's order. */
  readonly filters: readonly string[];
}

/** A target of a BGPPeer before it is bound to this node. */
interface Target {
  readonly family: Family;
  readonly address: string;
  readonly port?: number;
  readonly asNumber: number;
  readonly rrClusterId?: string;
  /** The address belongs to a Calico node (passive-side rule for global peerings). */
  readonly calicoNode: boolean;
}

/** The BGPPeer fields copied onto every peering it yields (Calico's `setPeerConfigFieldsFromV3Resource`). */
interface PeerOptions {
  readonly localASNumber?: number;
  readonly sourceNone: boolean;
  readonly ttlSecurity?: number;
  readonly password?: SecretRef;
  readonly restartTime?: number;
  readonly keepaliveTime?: number;
  readonly numAllowedLocalAS?: number;
  readonly nextHopMode?: string;
  readonly keepOriginalNextHop: boolean;
  readonly reachableBy?: string;
  readonly filters: readonly string[];
}

interface Entry {
  readonly target: Target;
  readonly options: PeerOptions;
  readonly global: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** `Mesh_10_0_0_12`, `Node_fd00__12_port_1790`: Calico's protocol names. */
export function peeringName(prefix: string, address: string, port?: number): string {
  const base = `${prefix}_${address.replace(/[.:]/g, '_')}`;
  return port !== undefined && port !== BGP_PORT ? `${base}_port_${port}` : base;
}

const addressOf = (node: BgpNode, family: Family) => (family === 4 ? node.ipv4 : node.ipv6);

/** What the renderer needs to compute peerings; see {@link computePeerings}. */
export interface PeeringInputs {
  readonly self: BgpNode;
  readonly nodes: readonly BgpNode[];
  readonly peers: readonly Resource[];
  readonly settings: BgpSettings;
}

/**
 * All BGP sessions of `self`, both families, sorted by family then protocol name. Peerings
 * from BGPPeer resources follow Calico's `updatePeersV1` (global pass, node pass, reverse pass;
 * the first peering written for a key wins; a node-specific peering to an address with a
 * global peering is dropped), with resources taken in name order so the result is stable.
 */
export function computePeerings(inputs: PeeringInputs): Peering[] {
  const { self, nodes, settings } = inputs;
  const localAS = self.asNumber ?? settings.asNumber;
  const nodeAS = (n: BgpNode) => n.asNumber ?? settings.asNumber;
  const nodePort = (n: BgpNode) => settings.nodeListenPorts.get(n.name) ?? settings.globalListenPort;
  const out: Peering[] = [];

  // §4.1: the mesh. Route reflectors neither join it nor are mesh peers.
  if (settings.meshEnabled && !self.rrClusterId) {
    for (const family of [4, 6] as const) {
      const mine = addressOf(self, family);
      if (!mine) continue;
      for (const node of nodes) {
        const address = addressOf(node, family);
        if (!address || address === mine || node.rrClusterId) continue;
        const port = nodePort(node);
        out.push({
          name: peeringName('Mesh', address, undefined),
          kind: 'mesh',
          family,
          address,
          ...(port !== undefined && port !== BGP_PORT ? { port } : {}),
          asNumber: nodeAS(node),
          // Calico treats every mesh session as iBGP for export, even between nodes whose own
          // AS numbers differ.
          internal: true,
          // Exactly one side of each pair dials: the one whose address sorts after.
          passive: address > mine,
          sourceAddress: mine,
          ...(settings.meshPassword ? { password: settings.meshPassword } : {}),
          ...(settings.meshRestartTime ? { restartTime: settings.meshRestartTime } : {}),
          filters: [],
        });
      }
    }
  }

  // §4.2: BGPPeer resources → keys `global/<ip>:<port>` and `node/<ip>:<port>` for this node.
  const matchCache = new Map<string, BgpNode[]>();
  const matching = (selector: string): BgpNode[] => {
    let hit = matchCache.get(selector);
    if (!hit) {
      const matches = parseSelector(selector).matches;
      hit = nodes.filter((n) => matches(n.labels));
      matchCache.set(selector, hit);
    }
    return hit;
  };
  const nodeIPs = new Set<string>();
  for (const n of nodes) {
    if (n.ipv4) nodeIPs.add(n.ipv4);
    if (n.ipv6) nodeIPs.add(n.ipv6);
  }
  const asTargets = (node: BgpNode, families: readonly Family[]): Target[] => {
    const targets: Target[] = [];
    for (const family of families) {
      const address = addressOf(node, family);
      if (!address) continue;
      const port = nodePort(node);
      targets.push({
        family, address, asNumber: nodeAS(node), calicoNode: true,
        ...(port !== undefined ? { port } : {}),
        ...(node.rrClusterId ? { rrClusterId: node.rrClusterId } : {}),
      });
    }
    return targets;
  };
  /** Calico nodes at `address` whose AS is `asNumber` (0 = the global AS) and whose listen port fits. */
  const nodesAt = (address: string, asNumber: number, port: number | undefined) =>
    nodes.filter((n) => {
      if (n.ipv4 !== address && n.ipv6 !== address) return false;
      if (nodeAS(n) !== (asNumber || settings.asNumber)) return false;
      if (port === undefined) return true;
      const own = settings.nodeListenPorts.get(n.name);
      return own !== undefined ? own === port : settings.globalListenPort === undefined || settings.globalListenPort === port;
    });

  const resources = [...inputs.peers].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const entries = new Map<string, Entry>();
  const emit = (global: boolean, target: Target, options: PeerOptions) => {
    const id = `${target.address}|${target.port ?? 0}`;
    const key = `${global ? 'g' : 'n'}|${id}`;
    if (entries.has(key)) return;
    if (!global && entries.has(`g|${id}`)) return;
    entries.set(key, { target, options, global });
  };

  for (const globalPass of [true, false]) {
    for (const res of resources) {
      const spec = obj(res.spec);
      if (str(spec.localWorkloadSelector)) continue; // workload peering: Kubernetes only
      const nodeSelector = str(spec.nodeSelector);
      const node = str(spec.node);
      if (globalPass !== (!nodeSelector && !node)) continue;
      if (!globalPass) {
        const scope = nodeSelector ? matching(nodeSelector) : nodes.filter((n) => n.name === node);
        if (!scope.includes(self) && !(node === self.name)) continue;
      }
      const options = peerOptions(spec);
      for (const target of forwardTargets(spec)) emit(globalPass, target, options);
    }
  }

  for (const res of resources) {
    const spec = obj(res.spec);
    if (str(spec.localWorkloadSelector) || spec.reversePeering === 'Manual') continue;
    // Reverse: this node is on the target side, and peers back with every node of the scope side.
    let families: Family[];
    const peerSelector = str(spec.peerSelector);
    if (peerSelector) {
      if (!matching(peerSelector).includes(self)) continue;
      families = [4, 6];
    } else {
      const peer = parsePeerIP(str(spec.peerIP));
      if (!peer || !nodesAt(peer.address, parseAS(spec.asNumber), peer.port).includes(self)) continue;
      families = [peer.family];
    }
    const nodeSelector = str(spec.nodeSelector);
    const node = str(spec.node);
    const scope = nodeSelector ? matching(nodeSelector) : node ? nodes.filter((n) => n.name === node) : nodes;
    const options = peerOptions(spec);
    for (const n of scope) for (const target of asTargets(n, families)) emit(false, target, options);
  }

  function forwardTargets(spec: Json): Target[] {
    const peerSelector = str(spec.peerSelector);
    if (peerSelector) return matching(peerSelector).flatMap((n) => asTargets(n, [4, 6]));
    const peer = parsePeerIP(str(spec.peerIP));
    if (!peer) return [];
    const asNumber = parseAS(spec.asNumber);
    let port = peer.port;
    if (port === undefined) {
      // A Calico node with this address and AS: dial its listen port.
      const owner = nodesAt(peer.address, asNumber, undefined)[0];
      if (owner) port = nodePort(owner);
    }
    const owner = nodes.find((n) => n.ipv4 === peer.address || n.ipv6 === peer.address);
    return [{
      family: peer.family, address: peer.address, asNumber, calicoNode: nodeIPs.has(peer.address),
      ...(port !== undefined ? { port } : {}),
      ...(owner?.rrClusterId ? { rrClusterId: owner.rrClusterId } : {}),
    }];
  }

  for (const { target, options, global } of [...entries.values()]) {
    const mine = addressOf(self, target.family);
    // A session needs a local address of its family; never peer with ourselves.
    if (!mine || target.address === mine) continue;
    const effectiveAS = options.localASNumber ?? localAS;
    const peerAS = target.asNumber || settings.asNumber;
    const internal = peerAS === effectiveAS;
    const nextHop = options.nextHopMode === 'Self' ? 'self'
      : options.nextHopMode === 'Keep' || (options.keepOriginalNextHop && !internal) ? 'keep' : undefined;
    // On a route reflector, iBGP peers outside its cluster are its clients.
    const rrClient = internal && self.rrClusterId !== undefined && target.rrClusterId !== self.rrClusterId;
    out.push({
      name: peeringName(global ? 'Global' : 'Node', target.address, target.port),
      kind: global ? 'global' : 'node',
      family: target.family,
      address: target.address,
      ...(target.port !== undefined && target.port !== BGP_PORT ? { port: target.port } : {}),
      asNumber: peerAS,
      ...(options.localASNumber !== undefined ? { localASNumber: options.localASNumber } : {}),
      internal,
      // Only global peerIP peerings to another Calico node are made passive automatically.
      passive: global && target.calicoNode && target.address > mine,
      ...(options.sourceNone ? {} : { sourceAddress: mine }),
      ...(options.ttlSecurity ? { ttlSecurity: options.ttlSecurity } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(options.restartTime ? { restartTime: options.restartTime } : {}),
      ...(options.keepaliveTime ? { keepaliveTime: options.keepaliveTime } : {}),
      ...(options.numAllowedLocalAS ? { numAllowedLocalAS: options.numAllowedLocalAS } : {}),
      ...(nextHop ? { nextHop } : {}),
      ...(rrClient ? { rrClusterId: self.rrClusterId } : {}),
      ...(options.reachableBy ? { reachableBy: options.reachableBy } : {}),
      filters: options.filters,
    });
  }

  return out.sort((a, b) => a.family - b.family || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function parseAS(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(v);
    if (m) return m[2] === undefined ? Number(m[1]) : Number(m[1]) * 0x10000 + Number(m[2]);
  }
  return 0;
}

function peerOptions(spec: Json): PeerOptions {
  const secret = obj(obj(spec.password).secretKeyRef);
  const localAS = parseAS(spec.localASNumber);
  const restartTime = durationSeconds(spec.maxRestartTime);
  const keepaliveTime = durationSeconds(spec.keepaliveTime);
  const ttl = num(spec.ttlSecurity);
  const allowLocal = num(spec.numAllowedLocalASNumbers);
  const reachableBy = str(spec.reachableBy);
  return {
    ...(localAS ? { localASNumber: localAS } : {}),
    sourceNone: spec.sourceAddress === 'None',
    ...(ttl ? { ttlSecurity: ttl } : {}),
    ...(str(secret.name) && str(secret.key) ? { password: { name: str(secret.name), key: str(secret.key) } } : {}),
    ...(restartTime ? { restartTime } : {}),
    ...(keepaliveTime ? { keepaliveTime } : {}),
    ...(allowLocal ? { numAllowedLocalAS: allowLocal } : {}),
    ...(str(spec.nextHopMode) ? { nextHopMode: str(spec.nextHopMode) } : {}),
    keepOriginalNextHop: spec.keepOriginalNextHop === true,
    ...(reachableBy ? { reachableBy } : {}),
    filters: Array.isArray(spec.filters) ? spec.filters.filter((f): f is string => typeof f === 'string' && f !== '') : [],
  };
}
