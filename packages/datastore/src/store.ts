/**
 * The `Store` contract: resource-level storage with etcd's revision semantics.
 * `EtcdStore` and `MemoryStore` implement it; everything above the datastore
 * (client, CLI, controller, agent) talks to this interface only.
 *
 * A Store stores exactly what it is given (after the storage codec); it does no
 * validation or defaulting. That is the client's job (`client/`).
 * @module
 */
import type { Resource, ResourceKey } from '@percale/api';

/** Selects resources for `list` and `watch`. */
export interface ResourceQuery {
  /** The kind; omit to cover every v3 kind at once (used by syncers and exports). */
  kind?: string;
  /** Restrict a namespaced kind to one namespace; omit for all namespaces. */
  namespace?: string;
  /** One resource by exact name (requires `kind`). */
  name?: string;
  /** Treat `name` as a prefix instead of an exact name. */
  namePrefix?: boolean;
}

export interface ListOptions {
  /** Read as of this revision (decimal string). */
  revision?: string;
}

export interface ListResult {
  items: Resource[];
  /** The datastore revision the list was read at (decimal string). */
  revision: string;
}

export interface WriteOptions {
  /** Attach the key to a lease that expires after this many seconds. */
  ttlSeconds?: number;
}

export interface DeleteOptions {
  /** Only delete if the stored resource is still at this revision. */
  resourceVersion?: string;
}

export type WatchEvent =
  | { type: 'ADDED'; resource: Resource; revision: string }
  | { type: 'MODIFIED'; resource: Resource; previous?: Resource; revision: string }
  | { type: 'DELETED'; previous: Resource; key: ResourceKey; revision: string }
  /** A stored value that cannot be parsed; the watch continues. */
  | { type: 'ERROR'; error: Error; revision?: string };

export interface WatchOptions {
  /**
   * Resume after this revision: events with a higher revision are delivered.
   * Omit to start with a snapshot (an ADDED event per existing resource,
   * then `onSynced`) followed by live events.
   */
  revision?: string;
  onEvent: (event: WatchEvent) => void;
  /** The initial snapshot has been delivered (only when no revision was given). */
  onSynced?: (revision: string) => void;
  /**
   * The watch has ended and will deliver nothing more. A `CompactedError` means
   * the requested revision is gone: re-list and watch again from the new revision.
   */
  onClosed?: (error?: Error) => void;
}

/** A running watch. */
export interface Watcher {
  /** Stops delivering events; resolves when the underlying stream is closed. */
  stop(): Promise<void>;
}

/** Resource storage with compare-and-swap writes and resumable watches. */
export interface Store {
  /**
   * Reads one resource.
   * @throws {NotFoundError} when there is none.
   */
  get(key: ResourceKey, options?: ListOptions): Promise<Resource>;

  /** Lists resources matching `query`, all read at one revision. */
  list(query: ResourceQuery, options?: ListOptions): Promise<ListResult>;

  /**
   * Writes a new resource; fails if the key exists. `metadata.resourceVersion`
   * must be empty. Returns the stored resource with its new `resourceVersion`.
   * @throws {AlreadyExistsError}
   */
  create(resource: Resource, options?: WriteOptions): Promise<Resource>;

  /**
   * Replaces a resource if it is still at `metadata.resourceVersion`.
   * @throws {RevisionConflictError} when it changed since; {NotFoundError} when it is gone.
   */
  update(resource: Resource, options?: WriteOptions): Promise<Resource>;

  /** Writes a resource unconditionally (create or overwrite). */
  apply(resource: Resource, options?: WriteOptions): Promise<Resource>;

  /**
   * Deletes a resource, optionally only if it is still at a revision; returns
   * the deleted resource.
   * @throws {NotFoundError}, {RevisionConflictError}
   */
  delete(key: ResourceKey, options?: DeleteOptions): Promise<Resource>;

  /** Watches resources matching `query`. See `WatchOptions` for the event contract. */
  watch(query: ResourceQuery, options: WatchOptions): Watcher;

  /** Releases connections and stops all watches. */
  close(): Promise<void>;
}
