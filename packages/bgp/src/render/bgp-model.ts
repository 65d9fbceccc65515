/**
 * Reads the datastore resources the renderer needs (Node, BGPConfiguration, IPPool) into a
 * small typed model: node BGP identities, the effective BGP settings, the pools by family.
 * Resources arrive as plain v3 JSON, so every field is read defensively.
 * @module
 */
import { parseASNumber, type Labels, type Resource } from '@percale/api';
import { BgpConfigError } from './bgp-config-error.ts';

/** Calico's AS number when neither the node nor the `default` BGPConfiguration sets one. */
export const DEFAULT_AS_NUMBER = 64512;

/** The well-known BGP port; peerings on it carry no port in their name. */
export const BGP_PORT = 179;

/** Route priority (kernel metric) of an ordinary VM route (`ipv4NormalRoutePriority`). */
export const DEFAULT_ROUTE_PRIORITY = 1024;

/** An IP family. */
export type Family = 4 | 6;

/** A Kubernetes-style secret reference (BGPPeer/BGPConfiguration `password.secretKeyRef`). */
export interface SecretRef {
  readonly name: string;
  readonly key: string;
}

/** A Calico node as BGP sees it. Addresses are canonical and carry no prefix length. */
export interface BgpNode {
  readonly name: string;
  readonly labels: Labels;
  readonly ipv4?: string;
  readonly ipv6?: string;
  /** The node's own AS number; undefined means the global one. */
  readonly asNumber?: number;
  /** Non-empty ⇒ the node is a route reflector. */
  readonly rrClusterId?: string;
}

/** An IP pool as it affects BGP export and kernel programming. */
export interface BgpPool {
  readonly cidr: string;
  readonly family: Family;
  readonly encapsulation: 'none' | 'ipip' | 'vxlan';
  readonly disableBGPExport: boolean;
}

/** One `prefixAdvertisements` entry with its communities resolved to values. */
export interface PrefixAdvertisement {
  readonly cidr: string;
  readonly family: Family;
  /** `[a, b]` (standard) or `[a, b, c]` (large) community values. */
  readonly communities: readonly (readonly number[])[];
}

/** The BGPConfiguration settings in force on this node (`node.<name>` over `default`). */
export interface BgpSettings {
  readonly asNumber: number;
  readonly meshEnabled: boolean;
  readonly meshPassword?: SecretRef;
  readonly meshRestartTime?: number;
  readonly logLevel: 'debug' | 'info' | 'none';
  /** This node's listen port, if not 179. */
  readonly listenPort?: number;
  /** The global listen port (`default`), used for peers without their own. */
  readonly globalListenPort?: number;
  /** Listen ports set by `node.<name>` configurations, by node name. */
  readonly nodeListenPorts: ReadonlyMap<string, number>;
  readonly bindNodeIP: boolean;
  readonly ignoredInterfaces: readonly string[];
  readonly prefixAdvertisements: readonly PrefixAdvertisement[];
  readonly routePriority: Readonly<Record<Family, number>>;
  /** Whether BIRD programs routes of pools without encapsulation (`programClusterRoutes`). */
  readonly birdProgramsNoEncapRoutes: boolean;
  /** `programClusterRoutes` asks BIRD for IPIP routes, which BIRD 2 cannot program (no `krt_tunnel`). */
  readonly ipipRoutesRequested: boolean;
  /** Settings that could not be used (already left out), for the render's warnings. */
  readonly warnings?: readonly string[];
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

/** An IPv4 address in dotted-quad form, or undefined. */
export function canonicalIPv4(text: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets.join('.') : undefined;
}

/** An IPv6 address in RFC 5952 form (what Go's `net.IP.String()` prints), or undefined. */
export function canonicalIPv6(text: string): string | undefined {
  if (!text.includes(':') || /[^0-9a-fA-F:.]/.test(text)) return undefined;
  try {
    // WHATWG URL parsing canonicalises IPv6 hosts exactly as RFC 5952 asks.
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** The family and canonical text of an address, or undefined when it is not one. */
export function parseAddress(text: string): { family: Family; address: string } | undefined {
  const v4 = canonicalIPv4(text);
  if (v4) return { family: 4, address: v4 };
  const v6 = canonicalIPv6(text);
  return v6 ? { family: 6, address: v6 } : undefined;
}

/** Splits `a.b.c.d`, `a.b.c.d:port`, `v6` or `[v6]:port` (BGPPeer `peerIP`). */
export function parsePeerIP(text: string): { family: Family; address: string; port?: number } | undefined {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const v4port = /^([\d.]+):(\d+)$/.exec(text);
  const m = bracketed ?? v4port;
  const host = m ? m[1]! : text;
  const parsed = parseAddress(host);
  if (!parsed) return undefined;
  const port = m ? Number(m[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return port === undefined ? parsed : { ...parsed, port };
}

function asNumberOrUndefined(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null || v === '' || v === 0) return undefined;
  try {
    return parseASNumber(v);
  } catch (err) {
    throw new BgpConfigError(where, `${where}: invalid AS number ${JSON.stringify(v)}: ${(err as Error).message}`);
  }
}

/** Reads the BGP identity of every Node; nodes without `spec.bgp` have no addresses. */
export function readNodes(nodes: readonly Resource[]): BgpNode[] {
  const out: BgpNode[] = [];
  for (const res of nodes) {
    const name = res.metadata.name;
    if (!name) continue;
    const bgp = obj(obj(res.spec).bgp);
    const where = `Node(${name}).spec.bgp`;
    const v4 = str(bgp.ipv4Address);
    const v6 = str(bgp.ipv6Address);
    const ipv4 = v4 === undefined ? undefined : canonicalIPv4(v4.split('/')[0]!);
    const ipv6 = v6 === undefined ? undefined : canonicalIPv6(v6.split('/')[0]!);
    const asNumber = asNumberOrUndefined(bgp.asNumber, `${where}.asNumber`);
    const rrClusterId = str(bgp.routeReflectorClusterID);
    out.push({
      name,
      labels: res.metadata.labels ?? {},
      ...(ipv4 ? { ipv4 } : {}),
      ...(ipv6 ? { ipv6 } : {}),
      ...(asNumber !== undefined ? { asNumber } : {}),
      ...(rrClusterId ? { rrClusterId } : {}),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Reads IP pools; a pool whose CIDR does not parse is skipped (validation refuses it anyway). */
export function readPools(pools: readonly Resource[]): BgpPool[] {
  const out: BgpPool[] = [];
  for (const res of pools) {
    const spec = obj(res.spec);
    const cidr = str(spec.cidr);
    const [addr, len] = cidr?.split('/') ?? [];
    const parsed = addr === undefined ? undefined : parseAddress(addr);
    if (!parsed || len === undefined || !/^\d+$/.test(len)) continue;
    const vxlan = str(spec.vxlanMode);
    const ipip = str(spec.ipipMode);
    out.push({
      cidr: `${parsed.address}/${Number(len)}`,
      family: parsed.family,
      encapsulation: vxlan && vxlan !== 'Never' ? 'vxlan' : ipip && ipip !== 'Never' ? 'ipip' : 'none',
      disableBGPExport: spec.disableBGPExport === true,
    });
  }
  // Sorted by CIDR text so that output does not depend on list order.
  return out.sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0));
}

const DURATION_UNIT_S: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Whole seconds of a Go duration (`90s`, `2m0s`); undefined when unset or malformed. */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * DURATION_UNIT_S[m[2]!]!;
    end = re.lastIndex;
  }
  return end === v.length ? Math.floor(total) : undefined;
}

function secretRef(password: unknown): SecretRef | undefined {
  const ref = obj(obj(password).secretKeyRef);
  const name = str(ref.name);
  const key = str(ref.key);
  return name && key ? { name, key } : undefined;
}

const COMMUNITY = /^\d+:\d+(:\d+)?$/;

/**
 * A community value as numbers: `aa:nn` (standard, 16-bit parts) or `aa:nn:mm` (large, 32-bit
 * parts), or undefined for anything else. Calico's validation refuses out-of-range parts, and
 * BIRD refuses them too: a configuration carrying one would not load at all.
 */
export function parseCommunity(value: string): number[] | undefined {
  if (!COMMUNITY.test(value)) return undefined;
  const parts = value.split(':').map(Number);
  const limit = parts.length === 2 ? 0xffff : 0xffffffff;
  return parts.every((n) => n <= limit) ? parts : undefined;
}

function resolveCommunities(values: readonly unknown[], named: ReadonlyMap<string, string>, where: string, warnings: string[]): number[][] {
  const out: number[][] = [];
  values.forEach((v, i) => {
    if (typeof v !== 'string') return;
    const literal = COMMUNITY.test(v) ? v : named.get(v);
    const parsed = literal === undefined ? undefined : parseCommunity(literal);
    if (parsed) out.push(parsed);
    else warnings.push(`${where}.communities[${i}] "${v}" is ${literal === undefined ? 'not a community value or a defined community name' : `not a valid community ("${literal}": standard parts are 16-bit, large parts 32-bit)`}; it is not added`);
  });
  return out;
}

/**
 * The settings in force on `nodeName`: the `default` BGPConfiguration, overridden member by
 * member by `node.<nodeName>` (Calico allows the global-only members on `default` alone).
 */
export function readSettings(configurations: readonly Resource[], nodeName: string): BgpSettings {
  const byName = new Map(configurations.map((c) => [c.metadata.name ?? '', obj(c.spec)]));
  const global = byName.get('default') ?? {};
  const local = byName.get(`node.${nodeName}`) ?? {};
  const pick = (member: string): unknown => {
    const v = local[member];
    return v === undefined || v === '' || (Array.isArray(v) && v.length === 0) ? global[member] : v;
  };

  const nodeListenPorts = new Map<string, number>();
  for (const [name, spec] of byName) {
    if (name.startsWith('node.') && typeof spec.listenPort === 'number' && spec.listenPort > 0) {
      nodeListenPorts.set(name.slice('node.'.length), spec.listenPort);
    }
  }
  const globalListenPort = typeof global.listenPort === 'number' && global.listenPort > 0 ? global.listenPort : undefined;
  const listenPort = nodeListenPorts.get(nodeName) ?? globalListenPort;

  const severity = String(pick('logSeverityScreen') ?? 'Info').toLowerCase();
  const logLevel = severity === 'debug' || severity === 'trace' ? 'debug' : severity === 'info' || severity === '' ? 'info' : 'none';

  const named = new Map<string, string>();
  for (const source of [global, local]) {
    for (const c of list(source.communities)) {
      const name = str(obj(c).name);
      const value = str(obj(c).value);
      if (name && value) named.set(name, value);
    }
  }
  const prefixAdvertisements: PrefixAdvertisement[] = [];
  const warnings: string[] = [];
  const paSource = list(local.prefixAdvertisements).length ? `node.${nodeName}` : 'default';
  for (const [i, pa] of list(pick('prefixAdvertisements')).entries()) {
    const cidr = str(obj(pa).cidr);
    const [addr, len] = cidr?.split('/') ?? [];
    const parsed = addr === undefined ? undefined : parseAddress(addr);
    if (!parsed || len === undefined) continue;
    const communities = resolveCommunities(list(obj(pa).communities), named, `BGPConfiguration(${paSource}).spec.prefixAdvertisements[${i}]`, warnings);
    if (communities.length) prefixAdvertisements.push({ cidr: `${parsed.address}/${Number(len)}`, family: parsed.family, communities });
  }

  const priority = (member: string) => {
    const v = pick(member);
    return typeof v === 'number' && v > 0 ? v : DEFAULT_ROUTE_PRIORITY;
  };
  const program = str(global.programClusterRoutes) ?? 'EnabledNoEncapOnly';
  const asNumber = asNumberOrUndefined(global.asNumber, 'BGPConfiguration(default).spec.asNumber') ?? DEFAULT_AS_NUMBER;
  const meshPassword = secretRef(global.nodeMeshPassword);
  const meshRestartTime = durationSeconds(global.nodeMeshMaxRestartTime);

  return {
    asNumber,
    meshEnabled: global.nodeToNodeMeshEnabled !== false,
    ...(meshPassword ? { meshPassword } : {}),
    ...(meshRestartTime ? { meshRestartTime } : {}),
    logLevel,
    ...(listenPort ? { listenPort } : {}),
    ...(globalListenPort ? { globalListenPort } : {}),
    nodeListenPorts,
    bindNodeIP: pick('bindMode') === 'NodeIP',
    ignoredInterfaces: list(pick('ignoredInterfaces')).filter((i): i is string => typeof i === 'string' && i !== ''),
    prefixAdvertisements,
    routePriority: { 4: priority('ipv4NormalRoutePriority'), 6: priority('ipv6NormalRoutePriority') },
    birdProgramsNoEncapRoutes: program === 'Enabled' || program === 'EnabledNoEncapOnly',
    ipipRoutesRequested: program === 'Enabled' || program === 'EnabledIPIPOnly',
    warnings,
  };
}
