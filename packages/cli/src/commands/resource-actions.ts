/**
 * What calicoctl does to one resource: namespace placement from `-n`/`-A`, the
 * kinds and names calicoctl refuses, and the create / update / apply procedures with
 * their metadata rules and conflict retries. Commands combine these per resource.
 * @module
 */
import { describeKey, kindInfo, type Resource, type ResourceKey } from '@percale/api';
import type { ResourceClient } from '@percale/datastore';
import { hasCode } from '../errors.ts';

/** A per-resource failure whose message is calicoctl's text. */
export class ResourceActionError extends Error {
  readonly code = 'CLI_RESOURCE_ACTION';
  constructor(message: string) {
    super(message);
    this.name = 'ResourceActionError';
  }
}

export interface NamespaceFlags {
  /** `-n/--namespace`. */
  readonly namespace?: string | undefined;
  /** `-A/--all-namespaces` (get only). */
  readonly allNamespaces?: boolean;
}

/**
 * Applies calicoctl's namespace table to a resource and returns the resource to act
 * on (a copy when the namespace changes).
 * @throws {ResourceActionError}
 */
export function placeNamespace(res: Resource, flags: NamespaceFlags): Resource {
  const info = kindInfo(res.kind);
  const cliNs = flags.namespace ?? '';
  const allNs = flags.allNamespaces ?? false;
  const resNs = res.metadata.namespace ?? '';
  const withNs = (ns: string): Resource => {
    const metadata = { ...res.metadata };
    if (ns) metadata.namespace = ns;
    else delete metadata.namespace;
    return { ...res, metadata };
  };
  if (info?.namespaced) {
    if (allNs && cliNs) throw new ResourceActionError('cannot use both --namespace and --all-namespaces flags at the same time');
    if (!resNs && cliNs) return withNs(cliNs);
    if (resNs && allNs) return withNs('');
    if (!resNs && allNs) return res;
    if (!resNs && !cliNs) return withNs('default');
    if (resNs && !cliNs) return res;
    if (resNs !== cliNs) throw new ResourceActionError(`resource namespace does not match client namespace. ${resNs} != ${cliNs}`);
    return res;
  }
  if (resNs) throw new ResourceActionError(`namespace should not be specified for a non-namespaced resource. ${res.kind} is not a namespaced resource`);
  if (allNs || cliNs) throw new ResourceActionError(`${res.kind} is not namespaced`);
  return res;
}

/** The datastore key of a resource. */
export function keyOf(res: Resource): ResourceKey {
  const key: ResourceKey = { kind: res.kind, name: res.metadata.name ?? '' };
  if (res.metadata.namespace) key.namespace = res.metadata.namespace;
  return key;
}

/** The calicoctl operation a refusal message names. */
export type RefusedOperation = 'create' | 'apply' | 'replace' | 'delete';

// etcd mode multiplexes Kubernetes NetworkPolicies under this name prefix.
const KNP_PREFIX = 'knp.default.';

/** calicoctl's refusal for this resource and operation, or undefined when it is allowed. */
export function refusal(res: Resource, op: RefusedOperation): string | undefined {
  if (res.kind === 'NetworkPolicy' && (res.metadata.name ?? '').startsWith(KNP_PREFIX)) {
    const verb = op === 'create' ? 'create or apply' : op === 'delete' ? 'delete' : 'apply or replace';
    return `operation ${verb} is not supported on ${describeKey(keyOf(res))}: kubernetes network policies must be managed through the kubernetes API`;
  }
  if (res.kind === 'ClusterInformation') {
    if (op === 'apply') return 'operation apply is not supported on ClusterInformation: resource is readonly';
    const verb = op === 'create' ? 'create or apply' : op === 'delete' ? 'delete' : 'apply or replace';
    return `operation ${verb} is not supported on ClusterInformation`;
  }
  return undefined;
}

/** Keeps only what calicoctl passes on to a create: name, namespace, resourceVersion, labels, annotations. */
export function metadataForCreate(res: Resource): Resource {
  const m = res.metadata;
  const metadata: Resource['metadata'] = {};
  if (m.name) metadata.name = m.name;
  if (m.namespace) metadata.namespace = m.namespace;
  if (m.resourceVersion) metadata.resourceVersion = m.resourceVersion;
  if (m.labels) metadata.labels = m.labels;
  if (m.annotations) metadata.annotations = m.annotations;
  return { ...res, metadata };
}

/** The stored metadata, except labels and annotations, which come from the input (absent = removed). */
export function mergeMetadataForUpdate(stored: Resource, input: Resource): Resource {
  const metadata = { ...stored.metadata };
  delete metadata.labels;
  delete metadata.annotations;
  if (input.metadata.labels) metadata.labels = input.metadata.labels;
  if (input.metadata.annotations) metadata.annotations = input.metadata.annotations;
  return { ...input, metadata };
}

export interface ActionEnv {
  readonly client: ResourceClient;
  /** Waits between update attempts after a conflict (1 s in calicoctl). */
  readonly sleep: (ms: number) => Promise<void>;
}

/** calicoctl's create: metadata trimmed to what a user may set. */
export function createResource(env: ActionEnv, res: Resource): Promise<Resource> {
  return env.client.create(metadataForCreate(res));
}

const UPDATE_ATTEMPTS = 5;

/**
 * calicoctl's update. With a resourceVersion in the input, the update happens only
 * if the stored resource is still at it; without, the current version is read and
 * the update retried (up to 5 times, a second apart) on conflicts. `known` is the
 * stored resource when the caller has just read it (a listing, or the answer to a
 * failed create); a conflict on it is retried at once with a fresh read.
 */
export async function updateResource(env: ActionEnv, res: Resource, known?: Resource): Promise<Resource> {
  const key = keyOf(res);
  const rv = res.metadata.resourceVersion;
  if (rv) {
    const current = await env.client.get(key);
    if (current.metadata.resourceVersion !== rv) throw new ResourceActionError(`update conflict: ${describeKey(key)}`);
    return env.client.update(mergeMetadataForUpdate(current, res));
  }
  let lastConflict: unknown;
  let prefetched = known;
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; ) {
    const current = prefetched ?? (await env.client.get(key));
    try {
      return await env.client.update(mergeMetadataForUpdate(current, res));
    } catch (err) {
      if (!hasCode(err, 'DATASTORE_REVISION_CONFLICT')) throw err;
      lastConflict = err;
      if (prefetched) {
        // The earlier read may simply be stale: read again before counting an attempt.
        prefetched = undefined;
        continue;
      }
      attempt++;
      await env.sleep(1000);
    }
  }
  throw new ResourceActionError(`failed to update the resource: ${(lastConflict as Error).message}`);
}

/**
 * calicoctl's apply: create, and update instead when the resource exists. `known` is
 * what a listing just before found: the stored resource, or `null` when there was none.
 */
export async function applyResource(env: ActionEnv, res: Resource, known?: Resource | null): Promise<Resource> {
  const rv = res.metadata.resourceVersion;
  const forUpdate = () => {
    const r = { ...res, metadata: { ...res.metadata } };
    if (!rv) delete r.metadata.resourceVersion;
    return r;
  };
  if (known && !rv) return updateResource(env, forUpdate(), known);
  const forCreate = { ...res, metadata: { ...res.metadata } };
  delete forCreate.metadata.resourceVersion;
  let existing: Resource | undefined;
  try {
    return await createResource(env, forCreate);
  } catch (err) {
    if (!hasCode(err, 'DATASTORE_ALREADY_EXISTS') && !hasCode(err, 'DATASTORE_OPERATION_NOT_SUPPORTED')) throw err;
    existing = (err as { existing?: Resource }).existing;
  }
  return updateResource(env, forUpdate(), existing);
}

/**
 * Reads, with one listing per kind and namespace, the stored resources a large batch
 * will write, so that apply and replace need no per-resource read to find them. Small
 * batches are left alone (a listing could cost more than the reads it saves).
 */
export async function prefetchExisting(client: ResourceClient, resources: readonly Resource[], minimum = PREFETCH_MINIMUM): Promise<Map<string, Resource | null>> {
  const groups = new Map<string, { kind: string; namespace?: string; members: Resource[] }>();
  for (const r of resources) {
    const id = `${r.kind}/${r.metadata.namespace ?? ''}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { kind: r.kind, ...(r.metadata.namespace && { namespace: r.metadata.namespace }), members: [] }));
    g.members.push(r);
  }
  const known = new Map<string, Resource | null>();
  for (const g of groups.values()) {
    if (g.members.length < minimum) continue;
    const { items } = await client.list(g.namespace ? { kind: g.kind, namespace: g.namespace } : { kind: g.kind });
    const stored = new Map(items.map((r) => [describeKey(keyOf(r)), r]));
    for (const m of g.members) {
      const id = describeKey(keyOf(m));
      known.set(id, stored.get(id) ?? null);
    }
  }
  return known;
}

/** Batches at least this large (per kind and namespace) are prefetched. */
export const PREFETCH_MINIMUM = 16;

/**
 * Runs `work` over `items` in input order. Items that `independent` allows are started
 * as soon as fewer than `limit` are in flight and no earlier item with the same key is
 * still running; any other item waits for everything before it and runs alone. The
 * outcome is the same as one-by-one processing, since items running together cannot
 * affect each other.
 */
export async function runInOrder<T, R>(
  items: readonly T[],
  options: { independent: (item: T) => boolean; key: (item: T) => string; limit: number },
  work: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  const inFlight = new Set<Promise<void>>();
  const byKey = new Map<string, Promise<void>>();
  const start = (item: T, i: number, key: string | undefined): Promise<void> => {
    const done: Promise<void> = work(item, i).then(
      (value) => void (results[i] = { status: 'fulfilled', value }),
      (reason: unknown) => void (results[i] = { status: 'rejected', reason }),
    ).finally(() => {
      inFlight.delete(done);
      if (key !== undefined && byKey.get(key) === done) byKey.delete(key);
    });
    inFlight.add(done);
    if (key !== undefined) byKey.set(key, done);
    return done;
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!options.independent(item)) {
      await Promise.all(inFlight);
      await start(item, i, undefined);
      continue;
    }
    const key = options.key(item);
    const same = byKey.get(key);
    if (same) await same;
    while (inFlight.size >= options.limit) await Promise.race(inFlight);
    void start(item, i, key);
  }
  await Promise.all(inFlight);
  return results;
}

// Kinds whose create/update/delete neither reads nor depends on other resources of the
// same input (no tier, overlap or cascade checks), so neighbours may be written in parallel.
const INDEPENDENT_KINDS = new Set([
  'NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy', 'StagedKubernetesNetworkPolicy',
  'NetworkSet', 'GlobalNetworkSet', 'WorkloadEndpoint', 'HostEndpoint', 'Profile',
]);

/** Whether resources of `kind` may be written alongside their neighbours. */
export function isIndependentKind(kind: string): boolean {
  return INDEPENDENT_KINDS.has(kind);
}

/** How many writes a command keeps in flight. */
export const WRITE_CONCURRENCY = 32;
