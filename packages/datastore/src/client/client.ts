/**
 * `Client`: the validating layer between applications and a `Store` (Calico's clientv3).
 * Every write goes through the same steps — envelope and metadata checks, client
 * defaults, WorkloadEndpoint naming, validation, kind-specific datastore checks —
 * before the store's compare-and-swap. Reads get Calico's read-time defaults.
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  API_VERSION,
  ValidationError,
  applyCreateDefaults,
  applyReadDefaults,
  describeKey,
  ipPoolCidrChangeAllowed,
  ipPoolsOverlap,
  kindInfo,
  validateResource,
  workloadEndpointName,
  type FieldError,
  type KindInfo,
  type Resource,
  type ResourceKey,
} from '@percale/api';
import { AlreadyExistsError, NotFoundError, OperationNotSupportedError, isAlreadyExists, isNotFound, isRevisionConflict } from '../errors.ts';
import type { DeleteOptions, ListOptions, ListResult, ResourceQuery, Store, WatchOptions, Watcher, WriteOptions } from '../store.ts';
import type { ResourceClient } from './resource-client.ts';

/** The synthetic profile every etcd datastore serves without storing it. */
export const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow';

/** Tiers every datastore has, with the order and default action Calico pins them to. */
export const BUILTIN_TIERS: readonly { name: string; order: number; defaultAction: 'Deny' | 'Pass' }[] = [
  { name: 'default', order: 1_000_000, defaultAction: 'Deny' },
  { name: 'kube-admin', order: 1_000, defaultAction: 'Pass' },
  { name: 'kube-baseline', order: 10_000_000, defaultAction: 'Pass' },
];

const POLICY_KINDS = ['NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy'] as const;
const isPolicyKind = (kind: string) => (POLICY_KINDS as readonly string[]).includes(kind);

function defaultAllowProfile(): Resource {
  return {
    apiVersion: API_VERSION,
    kind: 'Profile',
    metadata: { name: DEFAULT_ALLOW_PROFILE, resourceVersion: '1' },
    spec: { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] },
  };
}

function fail(field: string, reason: string, value?: unknown): never {
  throw new ValidationError([value === undefined ? { field, reason } : { field, value, reason }]);
}

function keyOf(res: Resource): ResourceKey {
  const key: ResourceKey = { kind: res.kind, name: res.metadata.name ?? '' };
  if (res.metadata.namespace) key.namespace = res.metadata.namespace;
  return key;
}

/** Validates and defaults resources before storing them; see `ResourceClient`. */
export class Client implements ResourceClient {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  async create(resource: Resource, options?: WriteOptions): Promise<Resource> {
    const res = this.prepare(resource, 'create');
    if (res.metadata.resourceVersion) {
      fail('Metadata.ResourceVersion', 'field must not be set for a Create request', res.metadata.resourceVersion);
    }
    if (res.kind === 'ClusterInformation' && res.metadata.name !== 'default') {
      fail('Metadata.Name', 'Cannot create a Cluster Information resource with a name other than "default"', res.metadata.name);
    }
    if (res.kind === 'Profile' && res.metadata.name === DEFAULT_ALLOW_PROFILE) {
      throw new AlreadyExistsError(keyOf(res), defaultAllowProfile());
    }
    await this.checkReferences(res);
    if (res.kind === 'IPPool') await this.checkPoolOverlap(res);
    return this.readDefaults(await this.store.create(res, options));
  }

  async update(resource: Resource, options?: WriteOptions): Promise<Resource> {
    const res = this.prepare(resource, 'update');
    const meta = res.metadata;
    if (!meta.resourceVersion) fail('Metadata.ResourceVersion', 'field must be set for an Update request');
    if (!/^\d+$/.test(meta.resourceVersion)) fail('Metadata.ResourceVersion', 'field must be a base-10 revision', meta.resourceVersion);
    if (!meta.creationTimestamp) fail('Metadata.CreationTimestamp', 'field must be set for an Update request');
    if (!meta.uid) fail('Metadata.UID', 'field must be set for an Update request');
    if (res.kind === 'Profile' && meta.name === DEFAULT_ALLOW_PROFILE) {
      throw new OperationNotSupportedError('update', DEFAULT_ALLOW_PROFILE, `The profile "${DEFAULT_ALLOW_PROFILE}" is a default provided by Calico and cannot be updated`);
    }
    await this.checkReferences(res);
    if (res.kind === 'IPPool') await this.checkPoolChange(res);
    return this.readDefaults(await this.store.update(res, options));
  }

  async delete(key: ResourceKey, options?: DeleteOptions): Promise<Resource> {
    this.checkScope(key.kind, key.namespace);
    if (key.kind === 'Profile' && key.name === DEFAULT_ALLOW_PROFILE) {
      throw new OperationNotSupportedError('delete', DEFAULT_ALLOW_PROFILE, `The profile "${DEFAULT_ALLOW_PROFILE}" is a default provided by Calico and cannot be deleted`);
    }
    if (key.kind === 'Tier') await this.checkTierDeletable(key.name);
    if (key.kind === 'Node') await this.deleteNodeDependents(key.name);
    return this.readDefaults(await this.store.delete(key, options));
  }

  async get(key: ResourceKey, options?: ListOptions): Promise<Resource> {
    this.checkScope(key.kind, key.namespace);
    if (key.kind === 'Profile' && key.name === DEFAULT_ALLOW_PROFILE) return defaultAllowProfile();
    return this.readDefaults(await this.store.get(key, options));
  }

  async list(query: ResourceQuery, options?: ListOptions): Promise<ListResult> {
    if (query.kind) this.info(query.kind);
    const result = await this.store.list(query, options);
    const items = result.items.map((r) => this.readDefaults(r));
    if (query.kind === 'Profile' && (query.name === undefined || (query.namePrefix ? DEFAULT_ALLOW_PROFILE.startsWith(query.name) : query.name === DEFAULT_ALLOW_PROFILE))) {
      items.push(defaultAllowProfile());
    }
    return { items, revision: result.revision };
  }

  watch(query: ResourceQuery, options: WatchOptions): Watcher {
    if (query.kind) this.info(query.kind);
    return this.store.watch(query, {
      ...options,
      onEvent: (ev) => {
        if (ev.type === 'ADDED') options.onEvent({ ...ev, resource: this.readDefaults(ev.resource) });
        else if (ev.type === 'MODIFIED') options.onEvent({ ...ev, resource: this.readDefaults(ev.resource) });
        else options.onEvent(ev);
      },
    });
  }

  async ensureInitialized(options: { calicoVersion?: string; clusterType?: string } = {}): Promise<void> {
    for (const tier of BUILTIN_TIERS) {
      try {
        await this.store.create({ apiVersion: API_VERSION, kind: 'Tier', metadata: { name: tier.name }, spec: { order: tier.order, defaultAction: tier.defaultAction } });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    await this.ensureClusterInformation(options);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  // ---- write preparation -------------------------------------------------

  private info(kind: string): KindInfo {
    const info = kindInfo(kind);
    if (!info) fail('Kind', `resource type '${kind}' is not supported`, kind);
    return info;
  }

  private checkScope(kind: string, namespace: string | undefined): KindInfo {
    const info = this.info(kind);
    if (info.namespaced && !namespace) fail('Metadata.Namespace', 'namespace is not specified on namespaced resource');
    if (!info.namespaced && namespace) fail('Metadata.Namespace', `namespace should not be specified for a non-namespaced resource. ${kind} is not a namespaced resource`, namespace);
    return info;
  }

  /** Envelope, scope, naming, defaults and validation shared by create and update. */
  private prepare(input: Resource, op: 'create' | 'update'): Resource {
    let res: Resource = structuredClone(input);
    res.apiVersion = API_VERSION;
    res.metadata ??= {};
    delete res.metadata.selfLink;
    this.checkScope(res.kind, res.metadata.namespace);
    if (res.kind === 'WorkloadEndpoint') res = this.nameWorkloadEndpoint(res);
    if (!res.metadata.name) {
      fail('Metadata.Name', res.metadata.generateName ? `field must be set for a ${op === 'create' ? 'Create' : 'Update'} request (GenerateName is not supported)` : `field must be set for a ${op === 'create' ? 'Create' : 'Update'} request`, '');
    }
    res = applyCreateDefaults(res);
    const errors: FieldError[] = validateResource(res);
    if (errors.length) throw new ValidationError(errors);
    return res;
  }

  /** Fills in or checks a WorkloadEndpoint's name and sets the labels policy matching relies on. */
  private nameWorkloadEndpoint(res: Resource): Resource {
    const spec = (res.spec ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof spec[k] === 'string' ? (spec[k] as string) : '');
    const expected = workloadEndpointName({
      node: str('node'), orchestrator: str('orchestrator'), workload: str('workload'),
      pod: str('pod'), containerID: str('containerID'), endpoint: str('endpoint'),
    });
    if (!res.metadata.name) res.metadata.name = expected;
    else if (res.metadata.name !== expected) {
      fail('Metadata.Name', `the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name ${expected}`, res.metadata.name);
    }
    res.metadata.labels = {
      ...res.metadata.labels,
      'projectcalico.org/namespace': res.metadata.namespace!,
      'projectcalico.org/orchestrator': str('orchestrator'),
    };
    return res;
  }

  /** References that must exist in the datastore: a policy's tier, a peer's filters. */
  private async checkReferences(res: Resource): Promise<void> {
    const spec = (res.spec ?? {}) as Record<string, unknown>;
    if (isPolicyKind(res.kind)) {
      const tier = (spec.tier as string | undefined) || 'default';
      try {
        await this.store.get({ kind: 'Tier', name: tier });
      } catch (err) {
        if (isNotFound(err)) throw new NotFoundError({ kind: 'Tier', name: tier }, { cause: err });
        throw err;
      }
    }
    if (res.kind === 'BGPPeer' && Array.isArray(spec.filters) && spec.filters.length) {
      const missing: string[] = [];
      for (const name of spec.filters as string[]) {
        try {
          await this.store.get({ kind: 'BGPFilter', name });
        } catch (err) {
          if (!isNotFound(err)) throw err;
          missing.push(name);
        }
      }
      if (missing.length) fail('Spec.Filters', `BGPFilter(s) not found: ${missing.join(', ')}`, missing.join(','));
    }
  }

  private async checkPoolOverlap(pool: Resource): Promise<void> {
    const cidr = (pool.spec as { cidr: string }).cidr;
    const { items } = await this.store.list({ kind: 'IPPool' });
    for (const other of items) {
      const otherCidr = (other.spec as { cidr?: string } | undefined)?.cidr;
      if (other.metadata.name !== pool.metadata.name && otherCidr && ipPoolsOverlap(cidr, otherCidr)) {
        fail('IPPool.Spec.CIDR', `IPPool(${pool.metadata.name}) CIDR overlaps with IPPool(${other.metadata.name}) CIDR ${otherCidr}`, cidr);
      }
    }
  }

  private async checkPoolChange(pool: Resource): Promise<void> {
    const current = await this.store.get(keyOf(pool));
    const was = current.spec as { cidr?: string; blockSize?: number; allowedUses?: string[] };
    const now = pool.spec as { cidr: string; blockSize?: number; allowedUses?: string[] };
    if (was.cidr && !ipPoolCidrChangeAllowed(was.cidr, now.cidr)) {
      fail('IPPool.Spec.CIDR', `IPPool CIDR cannot be modified`, now.cidr);
    }
    if (was.blockSize !== undefined && now.blockSize !== undefined && was.blockSize !== now.blockSize) {
      fail('IPPool.Spec.BlockSize', 'IPPool BlockSize cannot be modified', now.blockSize);
    }
    if (was.allowedUses?.includes('LoadBalancer') && !now.allowedUses?.includes('LoadBalancer')) {
      fail('IPPool.Spec.AllowedUses', 'IPPool AllowedUses cannot be changed from LoadBalancer', now.allowedUses?.join(','));
    }
  }

  // ---- delete protections and cascades ------------------------------------

  private async checkTierDeletable(name: string): Promise<void> {
    if (BUILTIN_TIERS.some((t) => t.name === name)) {
      throw new OperationNotSupportedError('Delete', name, `Cannot delete ${name} tier`);
    }
    for (const kind of POLICY_KINDS) {
      const { items } = await this.store.list({ kind });
      if (items.some((p) => ((p.spec as { tier?: string } | undefined)?.tier || 'default') === name)) {
        throw new OperationNotSupportedError('delete', name, 'Cannot delete a non-empty tier');
      }
    }
  }

  /** Deleting a Node removes what exists only for it, as Calico's client does. */
  private async deleteNodeDependents(node: string): Promise<void> {
    const removeIf = async (kind: string, pred: (r: Resource) => boolean) => {
      const { items } = await this.store.list({ kind });
      for (const r of items.filter(pred)) {
        try {
          await this.store.delete(keyOf(r), { resourceVersion: r.metadata.resourceVersion! });
        } catch (err) {
          if (!isNotFound(err) && !isRevisionConflict(err)) throw err;
        }
      }
    };
    const onNode = (r: Resource) => (r.spec as { node?: string } | undefined)?.node === node;
    await removeIf('WorkloadEndpoint', onNode);
    await removeIf('HostEndpoint', onNode);
    await removeIf('BGPPeer', onNode);
    await removeIf('FelixConfiguration', (r) => r.metadata.name === `node.${node}`);
    await removeIf('BGPConfiguration', (r) => r.metadata.name === `node.${node}`);
  }

  // ---- reads and initialisation --------------------------------------------

  private readDefaults(res: Resource): Resource {
    return applyReadDefaults(res);
  }

  /**
   * Creates ClusterInformation `default` or fills in what is missing, with
   * compare-and-swap retries so concurrent initialisers never trample each other.
   */
  private async ensureClusterInformation(options: { calicoVersion?: string; clusterType?: string }): Promise<void> {
    const key = { kind: 'ClusterInformation', name: 'default' };
    for (let attempt = 0; attempt < 5; attempt++) {
      let current: Resource | undefined;
      try {
        current = await this.store.get(key);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const spec: Record<string, unknown> = { ...(current?.spec ?? {}) };
      const missing: Record<string, unknown> = {};
      if (!spec.clusterGUID) missing.clusterGUID = randomBytes(16).toString('hex');
      if (spec.datastoreReady === undefined) missing.datastoreReady = true;
      if (options.calicoVersion && !spec.calicoVersion) missing.calicoVersion = options.calicoVersion;
      if (options.clusterType) {
        const tags = String(spec.clusterType ?? '').split(',').filter(Boolean);
        const added = options.clusterType.split(',').filter((t) => t && !tags.includes(t));
        if (added.length) missing.clusterType = [...tags, ...added].join(',');
      }
      const changed = !current || Object.keys(missing).length > 0;
      Object.assign(spec, missing);
      if (!changed) return;
      try {
        if (current) await this.store.update({ ...current, spec });
        else await this.store.create({ apiVersion: API_VERSION, kind: 'ClusterInformation', metadata: { name: 'default' }, spec });
        return;
      } catch (err) {
        if (!isAlreadyExists(err) && !isRevisionConflict(err)) throw err;
      }
    }
    throw new Error(`Cannot initialise ${describeKey(key)}: too many concurrent updates`);
  }
}
