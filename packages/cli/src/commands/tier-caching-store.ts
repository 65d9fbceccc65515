/**
 * A `Store` decorator for one calicoctl run: the validating client reads a policy's
 * Tier before every policy write, so applying 1,000 policies would read the same Tier
 * 1,000 times. Within a run, a Tier found once is remembered; this run's own writes and
 * deletes of a Tier forget it, and absent Tiers are never remembered.
 * @module
 */
import { describeKey, type Resource, type ResourceKey } from '@percale/api';
import type { DeleteOptions, ListOptions, ListResult, ResourceQuery, Store, WatchOptions, Watcher, WriteOptions } from '@percale/datastore';

/** Caches Tier reads of the wrapped store for the lifetime of one command. */
export class TierCachingStore implements Store {
  readonly #inner: Store;
  readonly #tiers = new Map<string, Promise<Resource>>();

  constructor(inner: Store) {
    this.#inner = inner;
  }

  get(key: ResourceKey, options?: ListOptions): Promise<Resource> {
    if (key.kind !== 'Tier' || options?.revision !== undefined) return this.#inner.get(key, options);
    const id = describeKey(key);
    let read = this.#tiers.get(id);
    if (!read) {
      const attempt: Promise<Resource> = this.#inner.get(key).catch((err: unknown) => {
        // A failed read (absent tier, unreachable etcd) is not remembered.
        if (this.#tiers.get(id) === attempt) this.#tiers.delete(id);
        throw err;
      });
      this.#tiers.set(id, attempt);
      read = attempt;
    }
    // Callers may change what they get; the remembered copy stays as read.
    return read.then((tier) => structuredClone(tier));
  }

  list(query: ResourceQuery, options?: ListOptions): Promise<ListResult> {
    return this.#inner.list(query, options);
  }

  create(resource: Resource, options?: WriteOptions): Promise<Resource> {
    return this.#forgetting(resource, this.#inner.create(resource, options));
  }

  update(resource: Resource, options?: WriteOptions): Promise<Resource> {
    return this.#forgetting(resource, this.#inner.update(resource, options));
  }

  apply(resource: Resource, options?: WriteOptions): Promise<Resource> {
    return this.#forgetting(resource, this.#inner.apply(resource, options));
  }

  delete(key: ResourceKey, options?: DeleteOptions): Promise<Resource> {
    const removal = this.#inner.delete(key, options);
    return key.kind === 'Tier' ? this.#forget(describeKey(key), removal) : removal;
  }

  watch(query: ResourceQuery, options: WatchOptions): Watcher {
    return this.#inner.watch(query, options);
  }

  close(): Promise<void> {
    this.#tiers.clear();
    return this.#inner.close();
  }

  #forgetting(resource: Resource, write: Promise<Resource>): Promise<Resource> {
    if (resource.kind !== 'Tier') return write;
    return this.#forget(describeKey({ kind: 'Tier', name: resource.metadata.name ?? '' }), write);
  }

  // Forgets a Tier when this run starts changing it and again when the change is done,
  // so a read that overlapped the change is not kept either.
  async #forget(id: string, change: Promise<Resource>): Promise<Resource> {
    this.#tiers.delete(id);
    try {
      return await change;
    } finally {
      this.#tiers.delete(id);
    }
  }
}
