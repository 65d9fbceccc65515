/**
 * The contract of the validating client (Calico's clientv3): what every application
 * uses to read and write resources. It checks and defaults a resource, applies the
 * kind-specific rules (WorkloadEndpoint names, tier existence, IPPool CIDRs,
 * protected objects), then hands it to a `Store`.
 * @module
 */
import type { Resource, ResourceKey } from '@percale/api';
import type { DeleteOptions, ListOptions, ListResult, ResourceQuery, WatchOptions, Watcher, WriteOptions } from '../store.ts';

export interface ResourceClient {
  /**
   * Validates, defaults and creates a resource. `metadata.resourceVersion` must be empty;
   * `uid` and `creationTimestamp` are generated when empty.
   * @throws {ValidationError} invalid resource; {AlreadyExistsError}; {NotFoundError} (e.g. the policy's tier is missing)
   */
  create(resource: Resource, options?: WriteOptions): Promise<Resource>;

  /**
   * Validates, defaults and replaces a resource that is still at `metadata.resourceVersion`.
   * @throws {ValidationError}; {RevisionConflictError}; {NotFoundError}
   */
  update(resource: Resource, options?: WriteOptions): Promise<Resource>;

  /**
   * Deletes a resource (optionally only at a revision), enforcing protections
   * (built-in and non-empty tiers, the default-allow profile, …).
   * @throws {NotFoundError}; {RevisionConflictError}; {OperationNotSupportedError}
   */
  delete(key: ResourceKey, options?: DeleteOptions): Promise<Resource>;

  /** Reads one resource, with read-time defaults applied. @throws {NotFoundError} */
  get(key: ResourceKey, options?: ListOptions): Promise<Resource>;

  /** Lists resources, with read-time defaults applied. */
  list(query: ResourceQuery, options?: ListOptions): Promise<ListResult>;

  /** Watches resources (see `Store.watch`). */
  watch(query: ResourceQuery, options: WatchOptions): Watcher;

  /**
   * Creates what every Calico datastore has: ClusterInformation `default` and the
   * built-in tiers. Idempotent; safe to call concurrently from several processes.
   */
  ensureInitialized(options?: { calicoVersion?: string; clusterType?: string }): Promise<void>;

  /** Closes the underlying store. */
  close(): Promise<void>;
}
