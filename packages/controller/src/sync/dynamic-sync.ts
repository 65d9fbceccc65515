/**
 * The per-object syncs that follow Neutron's notifications (spec §4.8, §5.6, §6.2, §9.3): for
 * one port, security group or subnet, read the datastore's revision, re-read the object from
 * Neutron, and write or delete under compare-and-swap, up to five attempts. A port event whose
 * payload carries the whole port is applied from it without the re-read (the fast path) when
 * nothing newer of the port has been seen and everything it refers to is cached. Unlike
 * networking-calico, nothing is rewritten when the stored data is already right.
 * @module
 */
import type { Resource } from '@percale/api';
import { casOne, getIfExists } from './cas-writer.ts';
import { buildEndpoint, buildLiveMigrationFor, buildPolicy, endpointNameFor, isEndpointPort, POLICY_PREFIX, subnetEntry, subnetPrefix } from './desired.ts';
import type { EndpointIndex } from './endpoint-index.ts';
import { FloatingIpCache } from './floating-ip-cache.ts';
import { ContextCache, projectIdOf, readContextFor, type CachedKind, type PortContext, type ProjectCache } from './port-context.ts';
import { PortRevisions } from './port-revisions.ts';
import { mergeForUpdate } from './resync.ts';
import { endpointMatches, liveMigrationMatches, policyMatches } from './same-content.ts';
import { migratingTo, wantsSlot } from './slots.ts';
import { MAX_CAS_ATTEMPTS, type SyncEnv } from './sync-env.ts';
import type { NeutronNetwork, NeutronPort, NeutronSecurityGroup, NeutronSubnet } from '../neutron/types.ts';

/** What one sync did, for logs and tests. */
export type SyncOutcome = 'written' | 'deleted' | 'unchanged' | 'absent' | 'gave-up';

/** Listens to what the syncs learn of Neutron (the notification router keeps its lookup tables with it). */
export interface DynamicSyncObserver {
  securityGroup?(id: string, group: NeutronSecurityGroup | undefined): void;
}

export class DynamicSync {
  readonly #env: SyncEnv;
  readonly #index: EndpointIndex;
  readonly #projects: ProjectCache;
  readonly #observer: DynamicSyncObserver;
  /** Networks, subnets and groups as last read; the router drops what Neutron announces as changed. */
  readonly #cache = new ContextCache();
  /** Newest revision seen per port: a notification payload older than it is never applied. */
  readonly #revisions = new PortRevisions();
  /** Floating IPs by port, for building an endpoint from a payload. */
  readonly #fips = new FloatingIpCache();
  #fastPathWrites = 0;

  constructor(env: SyncEnv, index: EndpointIndex, projects: ProjectCache, observer: DynamicSyncObserver = {}) {
    this.#env = env;
    this.#index = index;
    this.#projects = projects;
    this.#observer = observer;
  }

  /** Forgets a cached network, subnet or group that Neutron announced as changed. */
  invalidate(kind: CachedKind, id: string): void {
    this.#cache.invalidate(kind, id);
  }

  /** Forgets every cached object (a full resync re-reads everything anyway). */
  clearCache(): void {
    this.#cache.clear();
  }

  /** The floating-IP cache (the router invalidates it on `floatingip.*` events, the resync loads it). */
  get floatingIps(): FloatingIpCache {
    return this.#fips;
  }

  /** Records the revisions of ports read from Neutron elsewhere (the resync's list). */
  notePorts(ports: readonly NeutronPort[]): void {
    for (const p of ports) this.#revisions.note(p.id, p.revision_number);
  }

  /** Records that Neutron deleted port `portId` (a `port.delete.end`): no payload of it is applied again. */
  notePortDeleted(portId: string): void {
    this.#revisions.noteDeleted(portId);
    this.#fips.forget(portId);
  }

  /** How many port syncs were completed from a notification payload alone (tests, benchmarks). */
  get fastPathSyncs(): number {
    return this.#fastPathWrites;
  }

  /**
   * Syncs every endpoint slot of a port: the hosts it has endpoints on now (from the index)
   * and the hosts Neutron says it should be on. `hint` is the port as an event carried it: its
   * network, subnets and groups are read from Neutron while the port itself is re-read, which
   * saves a round trip when (as usual) the re-read port still refers to the same objects.
   * Resolves each slot's outcome by name.
   */
  async syncPort(portId: string, hint?: NeutronPort): Promise<Map<string, SyncOutcome>> {
    const slots = this.#index.slotsOf(portId);
    if (hint?.id === portId) for (const [name, host] of slotsOf(hint)) slots.set(name, host);
    if (hint?.id === portId && isCompletePort(hint) && this.#revisions.mayApply(portId, hint.revision_number!)) {
      const fast = await this.#applyPayload(hint, slots);
      if (fast) return fast;
    }
    return this.#syncSlots(portId, slots, true, hint);
  }

  /**
   * The fast path: writes the port's endpoint slots from the port an event carried, in one
   * compare-and-swap round, when every object it refers to is cached. Undefined (nothing
   * decided, maybe some slots written) when something is not cached or a CAS lost a race:
   * the caller then runs the re-reading sync, which settles every slot from Neutron's state.
   */
  async #applyPayload(port: NeutronPort, slots: Map<string, string>): Promise<Map<string, SyncOutcome> | undefined> {
    const ctx = isEndpointPort(port) ? await this.#cachedContext(port) : undefined;
    if (!ctx) return undefined;
    const stored = await this.#readSlots(slots.keys());
    await this.#ensurePolicies(port, ctx);
    const outcomes = new Map<string, SyncOutcome>();
    let lost = false;
    await Promise.all([...slots].map(async ([name, host]) => {
      if (!(await this.#settleSlot(port.id, { port, ctx }, name, host, stored.get(name)!, outcomes))) lost = true;
    }));
    if (lost) return undefined;
    this.#revisions.note(port.id, port.revision_number);
    this.#fastPathWrites++;
    return outcomes;
  }

  /** The port's context from the caches alone, or undefined when anything it refers to is not cached. */
  async #cachedContext(port: NeutronPort): Promise<PortContext | undefined> {
    // QoS policies are not cached (their updates are not followed); those ports take the re-read.
    if (port.qos_policy_id || port.qos_network_policy_id) return undefined;
    const network = this.#cache.get<NeutronNetwork>('network', port.network_id);
    const fips = this.#fips.get(port.id);
    if (!network || !fips) return undefined;
    const ctx: PortContext = {
      networks: new Map([[network.id, network]]),
      subnets: new Map(),
      securityGroups: new Map(),
      floatingIps: new Map(fips.length > 0 ? [[port.id, fips]] : []),
      projects: new Map(),
      qosPolicies: new Map(),
    };
    for (const ip of port.fixed_ips) {
      const subnet = this.#cache.get<NeutronSubnet>('subnet', ip.subnet_id);
      if (!subnet) return undefined;
      ctx.subnets.set(subnet.id, subnet);
    }
    for (const id of port.security_groups) {
      const group = this.#cache.get<NeutronSecurityGroup>('security_group', id);
      if (!group) return undefined;
      ctx.securityGroups.set(group.id, group);
    }
    ctx.projects = await this.#projects.lookup([projectIdOf(port) ?? '']);
    return ctx;
  }

  /** Reads the context of `port` from Neutron (through the cache), keeping its floating IPs for the fast path. */
  async #readContext(port: NeutronPort): Promise<PortContext> {
    const seq = this.#fips.mark();
    const ctx = await readContextFor(this.#env.neutron, this.#projects, [port], this.#cache);
    this.#fips.store(seq, port.id, ctx.floatingIps.get(port.id) ?? []);
    return ctx;
  }

  /**
   * The endpoint ports whose endpoints carry QoS controls from a policy (their own or their
   * network's), read from Neutron: the ports a QoS rule change may affect.
   */
  async portsWithQosPolicy(): Promise<string[]> {
    const ports = await this.#env.neutron.listPorts();
    return ports.filter((p) => isEndpointPort(p) && (p.qos_policy_id || p.qos_network_policy_id)).map((p) => p.id);
  }

  /** One endpoint slot: `name` should exist iff Neutron's port wants an endpoint on `host` under that name. */
  async syncSlot(portId: string, name: string, host: string): Promise<SyncOutcome> {
    return (await this.#syncSlots(portId, new Map([[name, host]]), false)).get(name)!;
  }

  /**
   * The per-slot sync of spec §4.8 for several slots of one port at once: read the slots'
   * revisions, then re-read the port (once), then write or delete each slot under
   * compare-and-swap; slots whose CAS failed go round again, up to MAX_CAS_ATTEMPTS.
   * With `discover`, slots the re-read port names that were not known are added (and read first).
   */
  async #syncSlots(portId: string, initial: Map<string, string>, discover: boolean, hint?: NeutronPort): Promise<Map<string, SyncOutcome>> {
    const outcomes = new Map<string, SyncOutcome>();
    let todo = new Map(initial);
    // With nothing known yet, the first round still runs: the re-read port names the slots.
    let firstRound = discover;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS && (todo.size > 0 || firstRound); attempt++) {
      // Datastore first: a racing writer's newer revision then makes our CAS fail instead of winning.
      const stored = await this.#readSlots(todo.keys());
      const [port, hinted] = await Promise.all([
        this.#env.neutron.getPort(portId),
        hint && isEndpointPort(hint) ? this.#readContext(hint) : undefined,
      ]);
      if (port) this.#revisions.note(portId, port.revision_number);
      else {
        this.#revisions.noteDeleted(portId);
        this.#fips.forget(portId);
      }
      const endpointPort = port !== undefined && isEndpointPort(port) ? port : undefined;
      firstRound = false;
      if (discover && endpointPort) {
        const unknown = [...slotsOf(endpointPort)].filter(([name]) => !todo.has(name));
        if (unknown.length > 0) {
          // Read those slots before acting on them; this does not count as an attempt.
          for (const [name, host] of unknown) todo.set(name, host);
          attempt--;
          hint = endpointPort;
          continue;
        }
      }
      let ctx: PortContext | undefined;
      if (endpointPort && [...todo].some(([name, host]) => wantsSlot(endpointPort, host) && endpointNameFor(host, endpointPort) === name)) {
        ctx = hinted && covers(hinted, endpointPort) ? hinted : await this.#readContext(endpointPort);
        // Policy before endpoint, so Felix never sees the endpoint without its rules.
        await this.#ensurePolicies(endpointPort, ctx);
      }
      const retry = new Map<string, string>();
      await Promise.all([...todo].map(async ([name, host]) => {
        const want = ctx && endpointPort ? { port: endpointPort, ctx } : undefined;
        if (!(await this.#settleSlot(portId, want, name, host, stored.get(name)!, outcomes))) retry.set(name, host);
      }));
      todo = retry;
      hint = endpointPort;
    }
    for (const name of todo.keys()) {
      this.#env.log.warn('Gave up syncing a WorkloadEndpoint after repeated compare-and-swap conflicts; the next resync repairs it', { name, port: portId, attempts: MAX_CAS_ATTEMPTS });
      outcomes.set(name, 'gave-up');
    }
    return outcomes;
  }

  /** Reads each slot's endpoint and its LiveMigration (named alike) from the datastore, in parallel. */
  async #readSlots(names: Iterable<string>): Promise<Map<string, StoredSlot>> {
    const { namespace } = this.#env;
    const stored = new Map<string, StoredSlot>();
    await Promise.all([...names].map(async (name) => {
      const [wep, lm] = await Promise.all([
        this.#get({ kind: 'WorkloadEndpoint', namespace, name }),
        this.#get({ kind: 'LiveMigration', namespace, name }),
      ]);
      stored.set(name, { wep, lm });
    }));
    return stored;
  }

  /**
   * Settles one slot under compare-and-swap: its LiveMigration first (wanted while the port
   * migrates to `host`), then its endpoint (wanted while `want.port` wants an endpoint on
   * `host` under `name`). The LiveMigration goes first both ways, as in networking-calico, so
   * Felix sees it before the destination endpoint appears. Records the outcomes (the
   * LiveMigration's as `lm <name>`, only when it exists or existed); false when a CAS lost a
   * race (nothing after it was attempted; the caller goes round again).
   */
  async #settleSlot(portId: string, want: { port: NeutronPort; ctx: PortContext } | undefined, name: string, host: string, current: StoredSlot, outcomes: Map<string, SyncOutcome>): Promise<boolean> {
    const { store, namespace, log } = this.#env;
    const port = want && wantsSlot(want.port, host) && endpointNameFor(host, want.port) === name ? want.port : undefined;
    const lmKey = { kind: 'LiveMigration', namespace, name };
    const lm = port && migratingTo(port) === host ? buildLiveMigrationFor(port, host, this.#env) : undefined;
    if (lm) {
      if (current.lm && liveMigrationMatches(current.lm, lm)) outcomes.set(LM_OUTCOME + name, 'unchanged');
      else {
        const resource = current.lm ? mergeForUpdate(current.lm, lm) : lm;
        if (!(await casOne(store, current.lm ? { op: 'update', resource } : { op: 'create', resource }))) return false;
        log.info(current.lm ? 'Updated LiveMigration' : 'Created LiveMigration', { name, port: portId });
        outcomes.set(LM_OUTCOME + name, 'written');
      }
    } else if (current.lm) {
      if (!(await casOne(store, { op: 'delete', key: lmKey, resourceVersion: current.lm.metadata.resourceVersion! }))) return false;
      log.info('Deleted LiveMigration', { name, port: portId });
      outcomes.set(LM_OUTCOME + name, 'deleted');
    }

    const key = { kind: 'WorkloadEndpoint', namespace, name };
    if (!port) {
      if (!current.wep) {
        this.#index.remove(name);
        outcomes.set(name, 'absent');
      } else if (await casOne(store, { op: 'delete', key, resourceVersion: current.wep.metadata.resourceVersion! })) {
        this.#index.remove(name);
        log.info('Deleted WorkloadEndpoint', { name, port: portId });
        outcomes.set(name, 'deleted');
      } else {
        return false;
      }
      return true;
    }
    const desired = buildEndpoint(port, host, want!.ctx, this.#env);
    if (current.wep && endpointMatches(current.wep, desired)) {
      this.#index.put(current.wep);
      outcomes.set(name, 'unchanged');
      return true;
    }
    const resource = current.wep ? mergeForUpdate(current.wep, desired) : desired;
    if (!(await casOne(store, current.wep ? { op: 'update', resource } : { op: 'create', resource }))) return false;
    this.#index.put(resource);
    log.info(current.wep ? 'Updated WorkloadEndpoint' : 'Created WorkloadEndpoint', { name, port: portId });
    outcomes.set(name, 'written');
    return true;
  }

  /** Writes the policies of the port's groups that are missing or out of date. */
  async #ensurePolicies(port: NeutronPort, ctx: PortContext): Promise<void> {
    await Promise.all(
      port.security_groups.map(async (sgId) => {
        const group = ctx.securityGroups.get(sgId);
        if (!group) return;
        const stored = await this.#get({ kind: 'NetworkPolicy', namespace: this.#env.namespace, name: POLICY_PREFIX + sgId });
        if (stored && policyMatches(stored, buildPolicy(group, this.#env))) return;
        await this.syncSecurityGroup(sgId);
      }),
    );
  }

  /** One security group's policy: written from Neutron's rules, or deleted when the group is gone. */
  async syncSecurityGroup(sgId: string): Promise<SyncOutcome> {
    const { store, namespace, log } = this.#env;
    const key = { kind: 'NetworkPolicy', namespace, name: POLICY_PREFIX + sgId };
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const stored = await this.#get(key);
      const group = await this.#env.neutron.getSecurityGroup(sgId);
      this.#observer.securityGroup?.(sgId, group);
      if (group) this.#cache.set('security_group', sgId, group);
      else this.#cache.invalidate('security_group', sgId);
      if (!group) {
        if (!stored) return 'absent';
        if (await casOne(store, { op: 'delete', key, resourceVersion: stored.metadata.resourceVersion! })) {
          log.info('Deleted NetworkPolicy', { name: key.name });
          return 'deleted';
        }
        continue;
      }
      const desired = buildPolicy(group, this.#env);
      if (stored && policyMatches(stored, desired)) return 'unchanged';
      const resource = stored ? mergeForUpdate(stored, desired) : desired;
      if (await casOne(store, stored ? { op: 'update', resource } : { op: 'create', resource })) {
        log.info(stored ? 'Updated NetworkPolicy' : 'Created NetworkPolicy', { name: key.name });
        return 'written';
      }
    }
    log.warn('Gave up syncing a NetworkPolicy after repeated compare-and-swap conflicts; the next resync repairs it', { securityGroup: sgId, attempts: MAX_CAS_ATTEMPTS });
    return 'gave-up';
  }

  /** One subnet's DHCP record: written while DHCP is enabled, deleted otherwise. */
  async syncSubnet(subnetId: string): Promise<SyncOutcome> {
    const { kv, log } = this.#env;
    const key = subnetPrefix(this.#env) + subnetId;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const stored = await kv.get(key);
      const subnet = await this.#env.neutron.getSubnet(subnetId);
      const entry = subnet && subnetEntry(subnet, this.#env);
      if (!entry) {
        if (!stored) return 'absent';
        if (await kv.deleteIf(key, { modRevision: stored.modRevision })) {
          log.info('Deleted subnet record', { key });
          return 'deleted';
        }
        continue;
      }
      if (stored?.value === entry.value) return 'unchanged';
      if ((await kv.putIf(key, entry.value, { modRevision: stored?.modRevision ?? '0' })) !== undefined) {
        log.info('Wrote subnet record', { key });
        return 'written';
      }
    }
    log.warn('Gave up syncing a subnet record after repeated compare-and-swap conflicts; the next resync repairs it', { subnet: subnetId, attempts: MAX_CAS_ATTEMPTS });
    return 'gave-up';
  }

  #get(key: { kind: string; namespace: string; name: string }): Promise<Resource | undefined> {
    return getIfExists(this.#env.store, key);
  }
}

/** A slot as stored: its endpoint and its LiveMigration, each absent or with its revision. */
type StoredSlot = { wep: Resource | undefined; lm: Resource | undefined };

/** Prefix of a LiveMigration's entry in a port sync's outcomes (endpoints are keyed by bare name). */
export const LM_OUTCOME = 'lm ';

/** The endpoint slots a port names: binding host and migration destination, by endpoint name. */
function slotsOf(port: NeutronPort): Map<string, string> {
  const slots = new Map<string, string>();
  for (const host of [port['binding:host_id'], migratingTo(port)]) {
    const name = host ? endpointNameFor(host, port) : undefined;
    if (name) slots.set(name, host!);
  }
  return slots;
}

/**
 * True when a notification's port has every field the endpoint is built from, as Neutron's
 * port dict does (`port.create.end`, `port.update.end`); a partial payload takes the re-read.
 */
function isCompletePort(port: NeutronPort): boolean {
  const p = port as unknown as Record<string, unknown>;
  return (
    typeof p.revision_number === 'number' &&
    typeof p.network_id === 'string' &&
    typeof p.device_id === 'string' &&
    typeof p.device_owner === 'string' &&
    typeof p.mac_address === 'string' &&
    typeof p.status === 'string' &&
    typeof p['binding:host_id'] === 'string' &&
    typeof p['binding:vif_type'] === 'string' &&
    typeof p['binding:profile'] === 'object' &&
    Array.isArray(p.fixed_ips) &&
    Array.isArray(p.security_groups) &&
    Array.isArray(p.allowed_address_pairs)
  );
}

/** True when `ctx` holds every object `port` refers to (so a context read for an older copy of the port still serves). */
function covers(ctx: PortContext, port: NeutronPort): boolean {
  return (
    ctx.networks.has(port.network_id) &&
    port.fixed_ips.every((ip) => ctx.subnets.has(ip.subnet_id)) &&
    port.security_groups.every((sg) => ctx.securityGroups.has(sg)) &&
    [port.qos_policy_id, port.qos_network_policy_id].every((q) => !q || ctx.qosPolicies.has(q))
  );
}
