/**
 * The resync (spec §9.1, §9.2): makes the region's data in the datastore equal to Neutron's,
 * phase by phase — expand the scope, subnets, security-group policies, endpoints, and for a
 * full resync the global Felix configuration. Each resource phase reads the datastore first
 * and Neutron second, so a dynamic write racing with it lands at a newer revision and the
 * resync's compare-and-swap fails harmlessly instead of overwriting it with older data.
 * @module
 */
import type { Resource } from '@percale/api';
import { isAlreadyExists, isCompacted, isNotFound, isRevisionConflict, type KeyValueEntry } from '@percale/datastore';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NeutronPort, NeutronSecurityGroup, NeutronSubnet, NeutronFloatingIp } from '../neutron/types.ts';
import { casMany, forEachLimited, getIfExists, type CasOp } from './cas-writer.ts';
import {
  buildEndpoint,
  buildLiveMigrationFor,
  buildPolicy,
  clusterInformationChange,
  endpointNameFor,
  felixConfigurationChange,
  isEndpointPort,
  POLICY_PREFIX,
  portIdSuffix,
  subnetEntry,
  subnetPrefix,
} from './desired.ts';
import { ProjectCache, readContextFor, readFullContext } from './port-context.ts';
import { isFullScope, ms, type PlainPhaseSummary, type ResourcePhaseSummary, type ResyncResult, type ResyncScope } from './resync-result.ts';
import { endpointMatches, liveMigrationMatches, policyMatches } from './same-content.ts';
import { migratingTo, portSlots, wantsSlot } from './slots.ts';
import type { SyncEnv } from './sync-env.ts';

/** What a resync saw of Neutron, for the dynamic sync's lookup tables (rule → group, floating IP → port). */
export interface ResyncObserver {
  securityGroups?(groups: readonly NeutronSecurityGroup[], full: boolean): void;
  floatingIps?(fips: readonly NeutronFloatingIp[]): void;
  /** The endpoint ports read (their revisions guard the dynamic sync's notification fast path). */
  ports?(ports: readonly NeutronPort[]): void;
}

export interface ResyncOptions {
  observer?: ResyncObserver;
  /** Shared project cache (the application keeps one); a fresh one otherwise. */
  projects?: ProjectCache;
}

/** Ids per phase after expansion; undefined = everything. */
interface Expanded {
  subnets?: Set<string>;
  sgs?: Set<string>;
  ports?: Set<string>;
}

/** Ids per Neutron list request when re-reading objects to create (keeps URLs short). */
const REREAD_CHUNK = 100;
/** Single reads of datastore keys kept in flight in narrow phases. */
const READ_CONCURRENCY = 32;

class PhaseClock {
  readonly #now: () => number;
  readonly #start: number;
  #mark: number;
  constructor(now: () => number) {
    this.#now = now;
    this.#start = this.#mark = now();
  }
  /** Milliseconds since the previous lap (or the start). */
  lap(): number {
    const t = this.#now();
    const d = t - this.#mark;
    this.#mark = t;
    return ms(d);
  }
  total(): number {
    return ms(this.#now() - this.#start);
  }
}

function emptySummary(): ResourcePhaseSummary {
  return {
    total_ms: 0, etcd_read_ms: 0, neutron_read_ms: 0, compare_ms: 0, create_ms: 0, neutron_reread_ms: 0,
    etcd_items: 0, neutron_items: 0, correct: 0, updated: 0, deleted: 0, created: 0,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `stored` with Neutron's view written over it: spec replaced, non-empty labels/annotations replaced, the rest kept (§3.1). */
export function mergeForUpdate(stored: Resource, desired: Resource): Resource {
  const metadata = { ...stored.metadata };
  if (desired.metadata.labels && Object.keys(desired.metadata.labels).length > 0) metadata.labels = desired.metadata.labels;
  if (desired.metadata.annotations && Object.keys(desired.metadata.annotations).length > 0) metadata.annotations = desired.metadata.annotations;
  return { ...stored, metadata, spec: desired.spec! };
}

/**
 * One resync pass. Never throws: a failure ends the remaining phases and is reported in
 * `error` with `ok: false`, as networking-calico's `Scope.run` does.
 */
export async function runResync(env: SyncEnv, scope: ResyncScope, options: ResyncOptions = {}): Promise<ResyncResult> {
  const now = env.now ?? (() => performance.now());
  const started = new Date();
  const clock = new PhaseClock(now);
  const full = isFullScope(scope);
  const projects = options.projects ?? new ProjectCache(env.neutron);
  const result: ResyncResult = {
    scope: { all: full, ...scope, networks: [...scope.networks].sort(), subnets: [...scope.subnets].sort(), ports: [...scope.ports].sort(), security_groups: [...scope.security_groups].sort() },
    phases: {},
    started_at: started.toISOString(),
    finished_at: '',
    total_ms: 0,
    ok: true,
    error: null,
  };
  env.log.info('Resync starting', { scope: full ? 'all' : 'narrow', namespace: env.namespace });
  try {
    const t = new PhaseClock(now);
    const expanded = full ? {} : await expand(env, scope);
    result.phases.expand = { total_ms: t.total() };
    result.phases.subnets = await resyncSubnets(env, expanded.subnets, now);
    result.phases.policy = await resyncPolicies(env, expanded.sgs, now, options.observer);
    result.phases.endpoints = await resyncEndpoints(env, expanded.ports, now, projects, options.observer);
    if (full) result.phases.felix_config = await provideFelixConfig(env, now);
  } catch (err) {
    result.ok = false;
    result.error = `${(err as Error).name ?? 'Error'}: ${(err as Error).message ?? String(err)}`;
    env.log.error('Resync failed', { error: result.error, compacted: isCompacted(err) });
  }
  result.finished_at = new Date().toISOString();
  result.total_ms = clock.total();
  const counts = (p?: ResourcePhaseSummary) => (p ? `${p.correct}/${p.updated}/${p.deleted}/${p.created}` : '-');
  env.log.info('Resync finished', {
    ok: result.ok,
    total_ms: result.total_ms,
    subnets: counts(result.phases.subnets),
    policy: counts(result.phases.policy),
    endpoints: counts(result.phases.endpoints),
  });
  return result;
}

/** Resolves networks and subnets to the subnets and ports they contain (spec §9.2). */
async function expand(env: SyncEnv, scope: ResyncScope): Promise<Expanded> {
  const subnets = new Set(scope.subnets);
  const ports = new Set(scope.ports);
  const sgs = new Set(scope.security_groups);
  const networkSubnets = new Set<string>();
  if (scope.networks.length > 0) {
    const [networks, networkPorts] = await Promise.all([env.neutron.listNetworks(scope.networks), env.neutron.listPorts({ networkIds: scope.networks })]);
    for (const n of networks) for (const s of n.subnets) networkSubnets.add(s);
    for (const p of networkPorts) ports.add(p.id);
  }
  for (const s of networkSubnets) subnets.add(s);
  const remaining = scope.subnets.filter((s) => !networkSubnets.has(s));
  if (remaining.length > 0) {
    const found = await env.neutron.listSubnets(remaining);
    const networkIds = [...new Set(found.map((s) => s.network_id))];
    const wanted = new Set(remaining);
    if (networkIds.length > 0) {
      for (const p of await env.neutron.listPorts({ networkIds })) {
        if (p.fixed_ips.some((ip) => wanted.has(ip.subnet_id))) ports.add(p.id);
      }
    }
  }
  if (scope.include_sgs_for_ports && ports.size > 0) {
    for (const p of await env.neutron.listPorts({ ids: [...ports] })) for (const sg of p.security_groups) sgs.add(sg);
  }
  return { subnets, sgs, ports };
}

// ---------------------------------------------------------------------------------------
// Subnets (spec §6): raw JSON records under /calico/dhcp/v2/<rs>/subnet/.

async function resyncSubnets(env: SyncEnv, ids: Set<string> | undefined, now: () => number): Promise<ResourcePhaseSummary> {
  const s = emptySummary();
  const clock = new PhaseClock(now);
  if (ids !== undefined && ids.size === 0) {
    s.total_ms = clock.total();
    return s;
  }
  const prefix = subnetPrefix(env);
  // Datastore first.
  const inEtcd = new Map<string, KeyValueEntry>();
  if (ids === undefined) {
    for (const e of await env.kv.list(prefix)) inEtcd.set(e.key, e);
  } else {
    await forEachLimited([...ids], READ_CONCURRENCY, async (id) => {
      const e = await env.kv.get(prefix + id);
      if (e) inEtcd.set(e.key, e);
    });
  }
  s.etcd_read_ms = clock.lap();
  s.etcd_items = inEtcd.size;
  // Then Neutron.
  const subnets = ids === undefined ? await env.neutron.listSubnets() : await env.neutron.listSubnets([...ids]);
  const wanted = new Map<string, { subnet: NeutronSubnet; key: string; value: string }>();
  for (const subnet of subnets) {
    const entry = subnetEntry(subnet, env);
    if (entry) wanted.set(entry.key, { subnet, ...entry });
  }
  s.neutron_read_ms = clock.lap();
  s.neutron_items = wanted.size;
  // Compare; update and delete under MOD == the revision read.
  await forEachLimited([...inEtcd.values()], READ_CONCURRENCY, async (e) => {
    const w = wanted.get(e.key);
    if (w && w.value === e.value) {
      s.correct++;
    } else if (w) {
      if ((await env.kv.putIf(e.key, w.value, { modRevision: e.modRevision })) !== undefined) s.updated++;
      else env.log.warn('Subnet record changed by another writer during the resync; leaving it', { key: e.key });
    } else if (await env.kv.deleteIf(e.key, { modRevision: e.modRevision })) {
      s.deleted++;
    } else {
      env.log.warn('Stale subnet record changed by another writer during the resync; leaving it', { key: e.key });
    }
  });
  s.compare_ms = clock.lap();
  // Create what is missing, after re-reading those subnets.
  const missing = [...wanted.values()].filter((w) => !inEtcd.has(w.key));
  if (missing.length > 0) {
    const t = now();
    const reread = new Map<string, NeutronSubnet>();
    for (const chunk of chunks(missing.map((m) => m.subnet.id), REREAD_CHUNK)) for (const sub of await env.neutron.listSubnets(chunk)) reread.set(sub.id, sub);
    s.neutron_reread_ms = ms(now() - t);
    await forEachLimited(missing, READ_CONCURRENCY, async (m) => {
      const current = reread.get(m.subnet.id);
      const entry = current && subnetEntry(current, env);
      if (!entry) return env.log.warn('Subnet gone from Neutron before it could be written; skipping', { subnet: m.subnet.id });
      if ((await env.kv.putIf(entry.key, entry.value, { modRevision: '0' })) !== undefined) s.created++;
      else env.log.warn('Subnet record created by another writer during the resync; leaving it', { key: entry.key });
    });
  }
  if (ids === undefined) {
    // Legacy v1 records (spec §3): the whole prefix goes.
    for (const e of await env.kv.list('/calico/dhcp/v1/subnet/')) await env.kv.deleteIf(e.key, { modRevision: e.modRevision });
  }
  s.create_ms = clock.lap();
  s.total_ms = clock.total();
  return s;
}

// ---------------------------------------------------------------------------------------
// Security groups → NetworkPolicy `ossg.default.<id>` (spec §5).

async function resyncPolicies(env: SyncEnv, ids: Set<string> | undefined, now: () => number, observer?: ResyncObserver): Promise<ResourcePhaseSummary> {
  const s = emptySummary();
  const clock = new PhaseClock(now);
  if (ids !== undefined && ids.size === 0) {
    s.total_ms = clock.total();
    return s;
  }
  const inEtcd = new Map<string, Resource>();
  if (ids === undefined) {
    const { items } = await env.store.list({ kind: 'NetworkPolicy', namespace: env.namespace, name: POLICY_PREFIX, namePrefix: true });
    for (const r of items) if (r.metadata.name?.startsWith(POLICY_PREFIX)) inEtcd.set(r.metadata.name, r);
  } else {
    await forEachLimited([...ids], READ_CONCURRENCY, async (id) => {
      const r = await getIfExists(env.store, { kind: 'NetworkPolicy', namespace: env.namespace, name: POLICY_PREFIX + id });
      if (r) inEtcd.set(r.metadata.name!, r);
    });
  }
  s.etcd_read_ms = clock.lap();
  s.etcd_items = inEtcd.size;
  const groups = ids === undefined ? await env.neutron.listSecurityGroups() : await env.neutron.listSecurityGroups([...ids]);
  observer?.securityGroups?.(groups, ids === undefined);
  const wanted = new Map<string, NeutronSecurityGroup>();
  for (const sg of groups) wanted.set(POLICY_PREFIX + sg.id, sg);
  s.neutron_read_ms = clock.lap();
  s.neutron_items = wanted.size;

  await reconcileStored(env, s, 'NetworkPolicy', inEtcd, wanted, (sg) => buildPolicy(sg, env), policyMatches);
  s.compare_ms = clock.lap();

  const missing = [...wanted].filter(([name]) => !inEtcd.has(name)).map(([, sg]) => sg);
  if (missing.length > 0) {
    const t = now();
    const reread = new Map<string, NeutronSecurityGroup>();
    for (const chunk of chunks(missing.map((sg) => sg.id), REREAD_CHUNK)) for (const sg of await env.neutron.listSecurityGroups(chunk)) reread.set(sg.id, sg);
    s.neutron_reread_ms = ms(now() - t);
    const creates: CasOp[] = [];
    for (const sg of missing) {
      const current = reread.get(sg.id);
      if (current) creates.push({ op: 'create', resource: buildPolicy(current, env) });
      else env.log.warn('Security group gone from Neutron before its policy could be written; skipping', { securityGroup: sg.id });
    }
    await applyCounted(env, creates, creates.map(() => 'created' as const), s, 'NetworkPolicy');
  }
  if (ids === undefined && env.namespace !== 'openstack') {
    // Legacy region-less policies (spec §3): only the driver's own names.
    const { items } = await env.store.list({ kind: 'NetworkPolicy', namespace: 'openstack', name: POLICY_PREFIX, namePrefix: true });
    const legacy: CasOp[] = items
      .filter((r) => r.metadata.name?.startsWith(POLICY_PREFIX))
      .map((r) => ({ op: 'delete', key: { kind: 'NetworkPolicy', namespace: 'openstack', name: r.metadata.name! }, resourceVersion: r.metadata.resourceVersion! }));
    await casMany(env.store, legacy);
  }
  s.create_ms = clock.lap();
  s.total_ms = clock.total();
  return s;
}

/**
 * The compare step of a resource phase for one namespaced kind: a stored resource equal to its
 * desired form counts as correct, a differing one is updated (merged, §3.1), one Neutron no
 * longer wants is deleted, each by CAS on the revision read.
 */
async function reconcileStored<W>(
  env: SyncEnv,
  s: ResourcePhaseSummary,
  kind: string,
  inEtcd: ReadonlyMap<string, Resource>,
  wanted: ReadonlyMap<string, W>,
  desiredFor: (w: W) => Resource,
  matches: (stored: Resource, desired: Resource) => boolean,
): Promise<void> {
  const ops: CasOp[] = [];
  const kinds: Array<'updated' | 'deleted'> = [];
  for (const [name, stored] of inEtcd) {
    const w = wanted.get(name);
    if (w !== undefined) {
      const desired = desiredFor(w);
      if (matches(stored, desired)) s.correct++;
      else {
        ops.push({ op: 'update', resource: mergeForUpdate(stored, desired) });
        kinds.push('updated');
      }
    } else {
      ops.push({ op: 'delete', key: { kind, namespace: env.namespace, name }, resourceVersion: stored.metadata.resourceVersion! });
      kinds.push('deleted');
    }
  }
  await applyCounted(env, ops, kinds, s, kind);
}

/** Runs CAS ops and counts the applied ones into `s` under their kind; conflicts are logged. */
async function applyCounted(
  env: SyncEnv,
  ops: readonly CasOp[],
  kinds: ReadonlyArray<'updated' | 'deleted' | 'created'>,
  s: ResourcePhaseSummary,
  what: string,
): Promise<void> {
  const applied = await casMany(env.store, ops);
  applied.forEach((ok, i) => {
    if (ok) s[kinds[i]!]++;
    else {
      const op = ops[i]!;
      const name = op.op === 'delete' ? op.key.name : op.resource.metadata.name;
      env.log.warn(`${what} changed by another writer during the resync; leaving it`, { name, action: op.op });
    }
  });
}

// ---------------------------------------------------------------------------------------
// Ports → WorkloadEndpoints (spec §4).

async function resyncEndpoints(
  env: SyncEnv,
  ids: Set<string> | undefined,
  now: () => number,
  projects: ProjectCache,
  observer?: ResyncObserver,
): Promise<ResourcePhaseSummary> {
  const s = emptySummary();
  const clock = new PhaseClock(now);
  if (ids !== undefined && ids.size === 0) {
    s.total_ms = clock.total();
    return s;
  }
  const inEtcd = new Map<string, Resource>();
  const lmsInEtcd = new Map<string, Resource>();
  const [{ items }, { items: lmItems }] = await Promise.all([
    env.store.list({ kind: 'WorkloadEndpoint', namespace: env.namespace }),
    env.store.list({ kind: 'LiveMigration', namespace: env.namespace }),
  ]);
  // A narrow resync scans by trailing port id, which also finds the port's stale endpoints and
  // LiveMigrations on other hosts.
  const suffixes = ids === undefined ? undefined : [...ids].map(portIdSuffix);
  const inScope = (name: string): boolean => suffixes === undefined || suffixes.some((suffix) => name.endsWith(suffix));
  for (const r of items) if (inScope(r.metadata.name!)) inEtcd.set(r.metadata.name!, r);
  for (const r of lmItems) if (inScope(r.metadata.name!)) lmsInEtcd.set(r.metadata.name!, r);
  s.etcd_read_ms = clock.lap();
  s.etcd_items = inEtcd.size + lmsInEtcd.size;

  const ports = (ids === undefined ? await env.neutron.listPorts() : await env.neutron.listPorts({ ids: [...ids] })).filter(isEndpointPort);
  const ctx = ids === undefined ? await readFullContext(env.neutron, projects, ports) : await readContextFor(env.neutron, projects, ports);
  if (ids === undefined) observer?.floatingIps?.([...ctx.floatingIps.values()].flat());
  observer?.ports?.(ports);
  const wanted = new Map<string, { port: NeutronPort; host: string }>();
  const lmsWanted = new Map<string, { port: NeutronPort; host: string }>();
  for (const port of ports) {
    for (const host of portSlots(port)) {
      const name = endpointNameFor(host, port);
      if (!name) {
        env.log.warn('Port cannot be named as a WorkloadEndpoint; skipping it', { port: port.id, host, device: port.device_id });
        continue;
      }
      wanted.set(name, { port, host });
      if (migratingTo(port) === host) lmsWanted.set(name, { port, host });
    }
  }
  s.neutron_read_ms = clock.lap();
  s.neutron_items = wanted.size + lmsWanted.size;

  // LiveMigrations go first (spec §9.1 sorts `lm` entries first): Felix should see a migration
  // before its destination endpoint.
  await reconcileStored(env, s, 'LiveMigration', lmsInEtcd, lmsWanted, (w) => buildLiveMigrationFor(w.port, w.host, env), liveMigrationMatches);
  await reconcileStored(env, s, 'WorkloadEndpoint', inEtcd, wanted, (w) => buildEndpoint(w.port, w.host, ctx, env), endpointMatches);
  s.compare_ms = clock.lap();

  const missing = [...wanted].filter(([name]) => !inEtcd.has(name));
  const missingLms = [...lmsWanted].filter(([name]) => !lmsInEtcd.has(name));
  if (missing.length > 0 || missingLms.length > 0) {
    const t = now();
    const reread = await rereadPorts(env, [...new Set([...missing, ...missingLms].map(([, w]) => w.port.id))]);
    s.neutron_reread_ms = ms(now() - t);
    const lmCreates: CasOp[] = [];
    for (const [name, w] of missingLms) {
      const current = reread.get(w.port.id);
      // Still migrating to that host, under the same name (spec §9.1).
      if (current && migratingTo(current) === w.host && endpointNameFor(w.host, current) === name) lmCreates.push({ op: 'create', resource: buildLiveMigrationFor(current, w.host, env) });
      else env.log.warn('Port gone from Neutron or no longer migrating before its LiveMigration could be written; skipping', { port: w.port.id, name });
    }
    if (lmCreates.length > 0) await applyCounted(env, lmCreates, lmCreates.map(() => 'created' as const), s, 'LiveMigration');
    const creates: CasOp[] = [];
    for (const [name, w] of missing) {
      const current = reread.get(w.port.id);
      if (current && wantsSlot(current, w.host) && endpointNameFor(w.host, current) === name) creates.push({ op: 'create', resource: buildEndpoint(current, w.host, ctx, env) });
      else env.log.warn('Port gone from Neutron or moved before its endpoint could be written; skipping', { port: w.port.id, name });
    }
    await applyCounted(env, creates, creates.map(() => 'created' as const), s, 'WorkloadEndpoint');
  }
  if (ids === undefined && env.namespace !== 'openstack') {
    // Legacy region-less endpoints (spec §3): everything in the `openstack` namespace.
    const { items: legacy } = await env.store.list({ kind: 'WorkloadEndpoint', namespace: 'openstack' });
    await casMany(
      env.store,
      legacy.map((r): CasOp => ({ op: 'delete', key: { kind: 'WorkloadEndpoint', namespace: 'openstack', name: r.metadata.name! }, resourceVersion: r.metadata.resourceVersion! })),
    );
  }
  s.create_ms = clock.lap();
  s.total_ms = clock.total();
  return s;
}

async function rereadPorts(env: SyncEnv, ids: readonly string[]): Promise<Map<string, NeutronPort>> {
  const found = new Map<string, NeutronPort>();
  // Neutron answers one unfiltered listing faster than many `id=` filtered ones (measured: 100
  // ports by id 430 ms, all ports 240 ms), so many creates (a cold start) re-read everything.
  const lists = ids.length >= REREAD_CHUNK
    ? [await env.neutron.listPorts()]
    : await Promise.all(chunks(ids, REREAD_CHUNK).map((chunk) => env.neutron.listPorts({ ids: chunk })));
  const wanted = new Set(ids);
  for (const list of lists) for (const p of list) if (wanted.has(p.id)) found.set(p.id, p);
  return found;
}

// ---------------------------------------------------------------------------------------
// ClusterInformation and FelixConfiguration `default` (spec §9.1, felix_config phase).

/** Attempts of each read-merge-CAS loop before the phase fails. */
const FELIX_CONFIG_ATTEMPTS = 5;

async function provideFelixConfig(env: SyncEnv, now: () => number): Promise<PlainPhaseSummary> {
  const clock = new PhaseClock(now);
  await mergeGlobal(env, 'ClusterInformation', clusterInformationChange);
  await mergeGlobal(env, 'FelixConfiguration', felixConfigurationChange);
  return { total_ms: clock.total() };
}

/**
 * Read-merge-CAS of one global `default` resource: `change` returns the new spec, or
 * undefined when the stored one already has what the controller needs.
 */
async function mergeGlobal(env: SyncEnv, kind: string, change: (spec: Record<string, unknown> | undefined) => Record<string, unknown> | undefined): Promise<void> {
  const key = { kind, name: 'default' };
  for (let attempt = 1; ; attempt++) {
    const stored = await getIfExists(env.store, key);
    const spec = change(stored?.spec);
    if (spec === undefined) return;
    try {
      if (stored) await env.store.update({ ...stored, spec });
      else await env.store.create({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name: 'default' }, spec });
      env.log.info(`${kind} default updated for OpenStack`, { spec });
      return;
    } catch (err) {
      const conflict = isRevisionConflict(err) || isNotFound(err) || isAlreadyExists(err);
      if (!conflict || attempt >= FELIX_CONFIG_ATTEMPTS) throw err;
    }
    await sleep(1000);
  }
}
