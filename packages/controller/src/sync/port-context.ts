/**
 * The Neutron objects a port's WorkloadEndpoint is built from besides the port itself
 * (spec §4.3): its network's name, its subnets' gateways, its floating IPs, its security
 * groups' names, its project and its QoS policy. Read in bulk for a resync and per port for
 * a dynamic sync, so that both build endpoints from the same inputs.
 * @module
 */
import type {
  KeystoneProject,
  NeutronFloatingIp,
  NeutronNetwork,
  NeutronPort,
  NeutronQosPolicy,
  NeutronReader,
  NeutronSecurityGroup,
  NeutronSubnet,
} from '../neutron/types.ts';

/** Lookup tables for building endpoints, each keyed by Neutron id. */
export interface PortContext {
  networks: Map<string, NeutronNetwork>;
  subnets: Map<string, NeutronSubnet>;
  securityGroups: Map<string, NeutronSecurityGroup>;
  /** Floating IPs by the id of the port they are associated with. */
  floatingIps: Map<string, NeutronFloatingIp[]>;
  projects: Map<string, KeystoneProject>;
  qosPolicies: Map<string, NeutronQosPolicy>;
}

function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) map.set(item.id, item);
  return map;
}

/** Groups floating IPs by their associated port (unassociated ones are left out). */
export function floatingIpsByPort(fips: readonly NeutronFloatingIp[]): Map<string, NeutronFloatingIp[]> {
  const map = new Map<string, NeutronFloatingIp[]>();
  for (const fip of fips) {
    if (!fip.port_id) continue;
    const list = map.get(fip.port_id);
    if (list) list.push(fip);
    else map.set(fip.port_id, [fip]);
  }
  return map;
}

/**
 * Keystone projects, cached: a miss refills the whole list (as networking-calico does), and
 * a refill with nothing new is not repeated for `retryMs`, so that ports of an unknown
 * project do not cost a Keystone call each.
 */
export class ProjectCache {
  readonly #neutron: NeutronReader;
  readonly #retryMs: number;
  #projects = new Map<string, KeystoneProject>();
  #lastFill = -Infinity;
  #filling: Promise<void> | undefined;

  constructor(neutron: NeutronReader, retryMs = 30_000) {
    this.#neutron = neutron;
    this.#retryMs = retryMs;
  }

  /** The projects known for `ids`, refilling once if any is unknown. */
  async lookup(ids: Iterable<string>): Promise<Map<string, KeystoneProject>> {
    const wanted = [...new Set(ids)].filter((id) => id !== '');
    if (wanted.some((id) => !this.#projects.has(id)) && performance.now() - this.#lastFill >= this.#retryMs) await this.refill();
    return this.#projects;
  }

  /** Reads every project again. */
  async refill(): Promise<void> {
    this.#filling ??= (async () => {
      try {
        this.#projects = byId(await this.#neutron.listProjects());
        this.#lastFill = performance.now();
      } finally {
        this.#filling = undefined;
      }
    })();
    await this.#filling;
  }
}

/** The project id of a port (`project_id`, else the older `tenant_id`). */
export function projectIdOf(port: NeutronPort): string | undefined {
  return port.project_id ?? port.tenant_id;
}

/** Reads the whole context for a full resync: everything, in parallel. */
export async function readFullContext(neutron: NeutronReader, projects: ProjectCache, ports: readonly NeutronPort[]): Promise<PortContext> {
  const [networks, subnets, securityGroups, fips, qosPolicies] = await Promise.all([
    neutron.listNetworks(),
    neutron.listSubnets(),
    neutron.listSecurityGroups(),
    neutron.listFloatingIps(),
    neutron.listQosPolicies(),
  ]);
  return {
    networks: byId(networks),
    subnets: byId(subnets),
    securityGroups: byId(securityGroups),
    floatingIps: floatingIpsByPort(fips),
    projects: await projects.lookup(ports.map((p) => projectIdOf(p) ?? '')),
    qosPolicies: byId(qosPolicies),
  };
}

/** Kinds of Neutron objects a `ContextCache` holds. */
export type CachedKind = 'network' | 'subnet' | 'security_group';

/**
 * Networks, subnets and security groups as last read, for the dynamic sync: a port event then
 * costs one Neutron round trip (the port and its floating IPs) instead of two. The notification
 * router drops an entry when Neutron announces a change to it; entries also expire after
 * `ttlMs`, which bounds staleness should an announcement be lost (a lost event also triggers a
 * full resync, which clears the cache).
 */
export class ContextCache {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maps: Record<CachedKind, Map<string, { value: unknown; at: number }>> = { network: new Map(), subnet: new Map(), security_group: new Map() };

  constructor(ttlMs = 60_000, now: () => number = () => performance.now()) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get<T>(kind: CachedKind, id: string): T | undefined {
    const e = this.#maps[kind].get(id);
    if (!e) return undefined;
    if (this.#now() - e.at > this.#ttlMs) {
      this.#maps[kind].delete(id);
      return undefined;
    }
    return e.value as T;
  }

  set(kind: CachedKind, id: string, value: unknown): void {
    this.#maps[kind].set(id, { value, at: this.#now() });
  }

  /** Forgets one object (Neutron announced a change to it). */
  invalidate(kind: CachedKind, id: string): void {
    this.#maps[kind].delete(id);
  }

  clear(): void {
    for (const m of Object.values(this.#maps)) m.clear();
  }
}

/**
 * Reads only what `ports` refer to (narrow resyncs and per-port syncs). With a cache, networks,
 * subnets and groups already in it are not read again; floating IPs and QoS policies always are.
 */
export async function readContextFor(neutron: NeutronReader, projects: ProjectCache, ports: readonly NeutronPort[], cache?: ContextCache): Promise<PortContext> {
  const networkIds = new Set<string>();
  const subnetIds = new Set<string>();
  const sgIds = new Set<string>();
  const qosIds = new Set<string>();
  for (const port of ports) {
    networkIds.add(port.network_id);
    for (const ip of port.fixed_ips) subnetIds.add(ip.subnet_id);
    for (const sg of port.security_groups) sgIds.add(sg);
    if (port.qos_policy_id) qosIds.add(port.qos_policy_id);
    if (port.qos_network_policy_id) qosIds.add(port.qos_network_policy_id);
  }
  const ctx: PortContext = { networks: new Map(), subnets: new Map(), securityGroups: new Map(), floatingIps: new Map(), projects: new Map(), qosPolicies: new Map() };
  /** Ids not served by the cache (all of them without one). */
  const missing = <T>(kind: CachedKind, ids: Set<string>, into: Map<string, T>): string[] => {
    if (!cache) return [...ids];
    const out: string[] = [];
    for (const id of ids) {
      const hit = cache.get<T>(kind, id);
      if (hit === undefined) out.push(id);
      else into.set(id, hit);
    }
    return out;
  };
  const none = <T>(): Promise<T[]> => Promise.resolve([]);
  const nets = missing('network', networkIds, ctx.networks);
  const subs = missing('subnet', subnetIds, ctx.subnets);
  const sgs = missing('security_group', sgIds, ctx.securityGroups);
  const [networks, subnets, securityGroups, fips, qosPolicies, projectMap] = await Promise.all([
    nets.length ? neutron.listNetworks(nets) : none<NeutronNetwork>(),
    subs.length ? neutron.listSubnets(subs) : none<NeutronSubnet>(),
    sgs.length ? neutron.listSecurityGroups(sgs) : none<NeutronSecurityGroup>(),
    ports.length ? neutron.listFloatingIps({ portIds: ports.map((p) => p.id) }) : none<NeutronFloatingIp>(),
    qosIds.size ? neutron.listQosPolicies([...qosIds]) : none<NeutronQosPolicy>(),
    projects.lookup(ports.map((p) => projectIdOf(p) ?? '')),
  ]);
  const keep = <T extends { id: string }>(kind: CachedKind, items: T[], into: Map<string, T>) => {
    for (const item of items) {
      into.set(item.id, item);
      cache?.set(kind, item.id, item);
    }
  };
  keep('network', networks, ctx.networks);
  keep('subnet', subnets, ctx.subnets);
  keep('security_group', securityGroups, ctx.securityGroups);
  ctx.floatingIps = floatingIpsByPort(fips);
  ctx.projects = projectMap;
  for (const q of qosPolicies) ctx.qosPolicies.set(q.id, q);
  return ctx;
}
