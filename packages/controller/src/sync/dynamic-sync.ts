/**
 * The per-object syncs that follow Neutron's notifications (spec §4.8, §5.6, §6.2, §9.3): for
 * one port, security group or subnet, read the datastore's revision, re-read the object from
 * Neutron, and write or delete under compare-and-swap, up to five attempts. Unlike
 * networking-calico, nothing is rewritten when the stored data is already right.
 * @module
 */
import type { Resource } from '@percale/api';
import { isNotFound } from '@percale/datastore';
import { casOne } from './cas-writer.ts';
import { buildEndpoint, buildPolicy, endpointNameFor, isEndpointPort, POLICY_PREFIX, subnetEntry, subnetPrefix } from './desired.ts';
import type { EndpointIndex } from './endpoint-index.ts';
import { ContextCache, readContextFor, type CachedKind, type PortContext, type ProjectCache } from './port-context.ts';
import { mergeForUpdate } from './resync.ts';
import { endpointMatches, policyMatches } from './same-content.ts';
import { migratingTo, wantsSlot } from './slots.ts';
import { MAX_CAS_ATTEMPTS, type SyncEnv } from './sync-env.ts';
import type { NeutronPort, NeutronSecurityGroup } from '../neutron/types.ts';

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
    return this.#syncSlots(portId, slots, true, hint);
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
    const { store, namespace, log } = this.#env;
    const outcomes = new Map<string, SyncOutcome>();
    let todo = new Map(initial);
    // With nothing known yet, the first round still runs: the re-read port names the slots.
    let firstRound = discover;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS && (todo.size > 0 || firstRound); attempt++) {
      // Datastore first: a racing writer's newer revision then makes our CAS fail instead of winning.
      const stored = new Map<string, Resource | undefined>();
      await Promise.all([...todo.keys()].map(async (name) => stored.set(name, await this.#get({ kind: 'WorkloadEndpoint', namespace, name }))));
      const [port, hinted] = await Promise.all([
        this.#env.neutron.getPort(portId),
        hint && isEndpointPort(hint) ? readContextFor(this.#env.neutron, this.#projects, [hint], this.#cache) : undefined,
      ]);
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
        ctx = hinted && covers(hinted, endpointPort) ? hinted : await readContextFor(this.#env.neutron, this.#projects, [endpointPort], this.#cache);
        // Policy before endpoint, so Felix never sees the endpoint without its rules.
        await this.#ensurePolicies(endpointPort, ctx);
      }
      const retry = new Map<string, string>();
      await Promise.all([...todo].map(async ([name, host]) => {
        const current = stored.get(name);
        const key = { kind: 'WorkloadEndpoint', namespace, name };
        if (!ctx || !endpointPort || !wantsSlot(endpointPort, host) || endpointNameFor(host, endpointPort) !== name) {
          if (!current) {
            this.#index.remove(name);
            outcomes.set(name, 'absent');
          } else if (await casOne(store, { op: 'delete', key, resourceVersion: current.metadata.resourceVersion! })) {
            this.#index.remove(name);
            log.info('Deleted WorkloadEndpoint', { name, port: portId });
            outcomes.set(name, 'deleted');
          } else {
            retry.set(name, host);
          }
          return;
        }
        const desired = buildEndpoint(endpointPort, host, ctx, this.#env);
        if (current && endpointMatches(current, desired)) {
          this.#index.put(current);
          outcomes.set(name, 'unchanged');
          return;
        }
        const resource = current ? mergeForUpdate(current, desired) : desired;
        if (await casOne(store, current ? { op: 'update', resource } : { op: 'create', resource })) {
          this.#index.put(resource);
          log.info(current ? 'Updated WorkloadEndpoint' : 'Created WorkloadEndpoint', { name, port: portId });
          outcomes.set(name, 'written');
        } else {
          retry.set(name, host);
        }
      }));
      todo = retry;
      hint = endpointPort;
    }
    for (const name of todo.keys()) {
      log.warn('Gave up syncing a WorkloadEndpoint after repeated compare-and-swap conflicts; the next resync repairs it', { name, port: portId, attempts: MAX_CAS_ATTEMPTS });
      outcomes.set(name, 'gave-up');
    }
    return outcomes;
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

  async #get(key: { kind: string; namespace: string; name: string }): Promise<Resource | undefined> {
    try {
      return await this.#env.store.get(key);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

/** The endpoint slots a port names: binding host and migration destination, by endpoint name. */
function slotsOf(port: NeutronPort): Map<string, string> {
  const slots = new Map<string, string>();
  for (const host of [port['binding:host_id'], migratingTo(port)]) {
    const name = host ? endpointNameFor(host, port) : undefined;
    if (name) slots.set(name, host!);
  }
  return slots;
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
