/**
 * The last node of the calculation graph (Felix's `EventSequencer`): buffers every output,
 * keeps at most one pending change per object, and on `flush()` emits them in dependency order
 * (agent-dataplane §4.2) so that an IP set exists before a policy uses it, a policy or profile
 * before an endpoint references it, and nothing is removed while still referenced.
 * @module
 */
import {
  endpointKey, policyKey,
  type DataplaneMessage, type EndpointID, type IPPoolInfo, type IPSetType, type LocalEndpoint, type PolicyID,
  type PolicyRules, type ProfileRules, type RemoteWorkloadRoute, type VTEP,
} from '../messages.ts';

interface Pending<T> {
  readonly updates: Map<string, T>;
  readonly removes: Map<string, DataplaneMessage>;
  /** Keys the dataplane currently has: a remove is only sent for these. */
  readonly sent: Set<string>;
}

function pending<T>(): Pending<T> {
  return { updates: new Map(), removes: new Map(), sent: new Set() };
}

function byKey<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.keys()].sort().map((k) => map.get(k)!);
}

/** The ordering buffer between the graph and the dataplane. */
export class EventSequencer {
  #inSync: 'no' | 'pending' | 'sent' = 'no';
  #config: Record<string, string> | undefined;

  /**
   * New IP sets by ID with their live membership (owned by the IP set member index). Their
   * members are read at flush time, so member events for them need no buffering.
   */
  readonly #addedIPSets = new Map<string, { setType: IPSetType; members: ReadonlyMap<string, unknown> }>();
  readonly #removedIPSets = new Set<string>();
  readonly #deltas = new Map<string, { added: Set<string>; removed: Set<string> }>();
  readonly #sentIPSets = new Set<string>();

  readonly #policies = pending<DataplaneMessage>();
  readonly #profiles = pending<DataplaneMessage>();
  readonly #endpoints = pending<DataplaneMessage>();
  readonly #pools = pending<DataplaneMessage>();
  readonly #hosts = pending<DataplaneMessage>();
  readonly #vteps = pending<DataplaneMessage>();
  readonly #routes = pending<DataplaneMessage>();

  /** The datastore's merged configuration changed (sent before everything else). */
  onConfigUpdate(config: Record<string, string>): void {
    this.#config = config;
  }

  /** The datastore snapshot is complete: the next flush ends with `in-sync`, once. */
  onInSync(): void {
    if (this.#inSync === 'no') this.#inSync = 'pending';
  }

  /** An IP set became active; `members` is its live member map. */
  onIPSetAdded(id: string, setType: IPSetType, members: ReadonlyMap<string, unknown>): void {
    this.#removedIPSets.delete(id);
    this.#deltas.delete(id);
    this.#addedIPSets.set(id, { setType, members });
  }

  /** An IP set is no longer used by any active rule. */
  onIPSetRemoved(id: string): void {
    this.#addedIPSets.delete(id);
    this.#deltas.delete(id);
    if (this.#sentIPSets.has(id)) this.#removedIPSets.add(id);
  }

  /** A member joined an active IP set. */
  onIPSetMemberAdded(id: string, member: string): void {
    if (this.#addedIPSets.has(id)) return;
    const delta = this.#delta(id);
    if (!delta.removed.delete(member)) delta.added.add(member);
  }

  /** A member left an active IP set. */
  onIPSetMemberRemoved(id: string, member: string): void {
    if (this.#addedIPSets.has(id)) return;
    const delta = this.#delta(id);
    if (!delta.added.delete(member)) delta.removed.add(member);
  }

  /** An active policy's rules (re)computed. */
  onPolicyUpdate(id: PolicyID, policy: PolicyRules): void {
    this.#update(this.#policies, policyKey(id), { type: 'policy-update', id, policy });
  }

  /** A policy stopped being active. */
  onPolicyRemove(id: PolicyID): void {
    this.#remove(this.#policies, policyKey(id), { type: 'policy-remove', id });
  }

  /** An active profile's rules (re)computed. */
  onProfileUpdate(id: string, profile: ProfileRules): void {
    this.#update(this.#profiles, id, { type: 'profile-update', id, profile });
  }

  /** A profile stopped being active. */
  onProfileRemove(id: string): void {
    this.#remove(this.#profiles, id, { type: 'profile-remove', id });
  }

  /** A local endpoint with its resolved tiers. */
  onEndpointUpdate(id: EndpointID, endpoint: LocalEndpoint): void {
    this.#update(this.#endpoints, endpointKey(id), { type: 'endpoint-update', id, endpoint });
  }

  /** A local endpoint went away. */
  onEndpointRemove(id: EndpointID): void {
    this.#remove(this.#endpoints, endpointKey(id), { type: 'endpoint-remove', id });
  }

  /** An IP pool, passed through. */
  onIPPoolUpdate(id: string, pool: IPPoolInfo): void {
    this.#update(this.#pools, id, { type: 'ippool-update', id, pool });
  }

  /** An IP pool went away. */
  onIPPoolRemove(id: string): void {
    this.#remove(this.#pools, id, { type: 'ippool-remove', id });
  }

  /** A host's addresses, passed through. */
  onHostUpdate(hostname: string, ipv4Address: string | undefined, ipv6Address: string | undefined): void {
    this.#update(this.#hosts, hostname, {
      type: 'host-update',
      hostname,
      ...(ipv4Address !== undefined ? { ipv4Address } : {}),
      ...(ipv6Address !== undefined ? { ipv6Address } : {}),
    });
  }

  /** A host went away. */
  onHostRemove(hostname: string): void {
    this.#remove(this.#hosts, hostname, { type: 'host-remove', hostname });
  }

  /** A host's VXLAN tunnel endpoint. */
  onVTEPUpdate(vtep: VTEP): void {
    this.#update(this.#vteps, vtep.node, { type: 'vtep-update', vtep });
  }

  /** A host's VXLAN tunnel endpoint went away. */
  onVTEPRemove(node: string): void {
    this.#remove(this.#vteps, node, { type: 'vtep-remove', node });
  }

  /** A route to a workload on another host, in an encapsulated pool. */
  onRouteUpdate(route: RemoteWorkloadRoute): void {
    this.#update(this.#routes, route.cidr, { type: 'route-update', route });
  }

  /** Such a route went away. */
  onRouteRemove(cidr: string): void {
    this.#remove(this.#routes, cidr, { type: 'route-remove', cidr });
  }

  /** Returns the buffered changes in dependency order and clears the buffer. */
  flush(): DataplaneMessage[] {
    const out: DataplaneMessage[] = [];
    // Rare and possibly restart-triggering: first.
    if (this.#config !== undefined) {
      out.push({ type: 'config-update', config: this.#config });
      this.#config = undefined;
    }
    // Additions in dependency order: IP sets, then the policies and profiles that use them,
    // then the endpoints that reference those.
    for (const id of [...this.#addedIPSets.keys()].sort()) {
      const { setType, members } = this.#addedIPSets.get(id)!;
      // Members in no particular order: sorting large sets costs more than it is worth.
      out.push({ type: 'ipset-update', id, setType, members: [...members.keys()] });
      this.#sentIPSets.add(id);
    }
    this.#addedIPSets.clear();
    for (const id of [...this.#deltas.keys()].sort()) {
      const { added, removed } = this.#deltas.get(id)!;
      if (added.size > 0 || removed.size > 0) out.push({ type: 'ipset-delta', id, added: [...added], removed: [...removed] });
    }
    this.#deltas.clear();
    this.#flushUpdates(this.#policies, out);
    this.#flushUpdates(this.#profiles, out);
    this.#flushUpdates(this.#endpoints, out);
    // Removals in reverse: endpoints stop referencing before their policies and sets go.
    this.#flushRemoves(this.#endpoints, out);
    this.#flushRemoves(this.#profiles, out);
    this.#flushRemoves(this.#policies, out);
    for (const id of [...this.#removedIPSets].sort()) {
      out.push({ type: 'ipset-remove', id });
      this.#sentIPSets.delete(id);
    }
    this.#removedIPSets.clear();
    // Cluster-wide data with no dependencies: removals first to keep occupancy low.
    this.#flushRemoves(this.#hosts, out);
    this.#flushUpdates(this.#hosts, out);
    this.#flushRemoves(this.#pools, out);
    this.#flushUpdates(this.#pools, out);
    // Routes name tunnel endpoints: endpoints arrive before the routes over them and leave after.
    this.#flushRemoves(this.#routes, out);
    this.#flushRemoves(this.#vteps, out);
    this.#flushUpdates(this.#vteps, out);
    this.#flushUpdates(this.#routes, out);
    if (this.#inSync === 'pending') {
      out.push({ type: 'in-sync' });
      this.#inSync = 'sent';
    }
    return out;
  }

  #delta(id: string): { added: Set<string>; removed: Set<string> } {
    let delta = this.#deltas.get(id);
    if (delta === undefined) {
      delta = { added: new Set(), removed: new Set() };
      this.#deltas.set(id, delta);
    }
    return delta;
  }

  #update<T>(p: Pending<T>, key: string, msg: T): void {
    p.removes.delete(key);
    p.updates.set(key, msg);
  }

  #remove<T>(p: Pending<T>, key: string, msg: DataplaneMessage): void {
    p.updates.delete(key);
    if (p.sent.has(key)) p.removes.set(key, msg);
  }

  #flushUpdates(p: Pending<DataplaneMessage>, out: DataplaneMessage[]): void {
    for (const key of p.updates.keys()) p.sent.add(key);
    for (const msg of byKey(p.updates)) out.push(msg);
    p.updates.clear();
  }

  #flushRemoves(p: Pending<DataplaneMessage>, out: DataplaneMessage[]): void {
    for (const key of p.removes.keys()) p.sent.delete(key);
    for (const msg of byKey(p.removes)) out.push(msg);
    p.removes.clear();
  }
}
