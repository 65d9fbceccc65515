/**
 * `MemoryStore`: an in-process `Store` with etcd's semantics — one global revision,
 * create/mod revisions per key, byte-ordered keys, reads at past revisions, resumable
 * watches, compaction and TTLs. It keeps the same encoded bytes `EtcdStore` writes, so
 * both return identical objects; tests, demos and embedded use run on it.
 * @module
 */
import type { Resource, ResourceKey } from '@percale/api';
import {
  changeToEvent,
  checkRevision,
  checkWatchRevision,
  checkTtlSeconds,
  checkUpdateMetadata,
  decodeStored,
  encodeForStorage,
  keepCreationMetadata,
  keyOnlyResource,
  resourceKeyOf,
  withCreationMetadata,
  type StoredChange,
} from '../codec.ts';
import { AlreadyExistsError, CompactedError, CorruptEntryError, NotFoundError, RevisionConflictError } from '../errors.ts';
import { keyFor, keyRangeFor, parseKey, queryMatches } from '../keys.ts';
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  ResourceQuery,
  Store,
  WatchOptions,
  Watcher,
  WriteOptions,
} from '../store.ts';
import { compareKeys } from './key-order.ts';

export interface MemoryStoreOptions {
  /**
   * Most changes kept for watches and past reads; older ones are compacted away as
   * etcd's auto-compaction would (default 100,000).
   */
  historyLimit?: number;
}

/** One stored key at one revision. */
interface KeyValue {
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  /** Pending expiry when the key was written with a TTL. */
  expiry?: NodeJS.Timeout;
}

/** One change, kept so watches can replay it and past revisions can be read. */
interface Change {
  readonly revision: number;
  readonly key: string;
  /** The key after the change; undefined for a delete. */
  readonly kv: KeyValue | undefined;
  /** The key before the change; undefined when it was created. */
  readonly prev: KeyValue | undefined;
}

type Pending =
  | { type: 'change'; change: Change }
  | { type: 'snapshot'; items: Resource[]; revision: string }
  | { type: 'closed'; error?: Error };

/** An in-process `Store` with etcd's revision, watch, compaction and TTL semantics. */
export class MemoryStore implements Store {
  readonly #historyLimit: number;
  readonly #current = new Map<string, KeyValue>();
  /** Keys of `#current` in etcd (UTF-8 byte) order. */
  readonly #keys: string[] = [];
  #history: Change[] = [];
  #revision = 1;
  #compactRevision = 0;
  readonly #watches = new Set<MemoryWatch>();
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#historyLimit = options.historyLimit ?? 100_000;
  }

  async get(key: ResourceKey, options: ListOptions = {}): Promise<Resource> {
    this.#checkOpen();
    const storageKey = keyFor(key);
    const kv = options.revision === undefined ? this.#current.get(storageKey) : this.#valueAt(storageKey, this.#readRevision(options.revision));
    if (!kv) throw new NotFoundError(key);
    return decodeStored(storageKey, key.kind, kv.value, String(kv.modRevision));
  }

  async list(query: ResourceQuery, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const revision = options.revision === undefined ? this.#revision : this.#readRevision(options.revision);
    return { items: this.#listAt(query, revision), revision: String(revision) };
  }

  async create(resource: Resource, options: WriteOptions = {}): Promise<Resource> {
    this.#checkOpen();
    const key = resourceKeyOf(resource);
    const storageKey = keyFor(key);
    const existing = this.#current.get(storageKey);
    if (existing) throw new AlreadyExistsError(key, this.#tryDecode(storageKey, key.kind, existing));
    return this.#put(storageKey, key.kind, encodeForStorage(withCreationMetadata(resource)), options);
  }

  async update(resource: Resource, options: WriteOptions = {}): Promise<Resource> {
    this.#checkOpen();
    const expected = checkUpdateMetadata(resource);
    const key = resourceKeyOf(resource);
    const storageKey = keyFor(key);
    const existing = this.#current.get(storageKey);
    if (!existing) throw new NotFoundError(key);
    if (String(existing.modRevision) !== expected) throw new RevisionConflictError(key, this.#tryDecode(storageKey, key.kind, existing));
    return this.#put(storageKey, key.kind, encodeForStorage(resource), options);
  }

  async apply(resource: Resource, options: WriteOptions = {}): Promise<Resource> {
    this.#checkOpen();
    const key = resourceKeyOf(resource);
    const storageKey = keyFor(key);
    return this.#put(storageKey, key.kind, encodeForStorage(keepCreationMetadata(resource, this.#current.get(storageKey)?.value)), options);
  }

  async delete(key: ResourceKey, options: DeleteOptions = {}): Promise<Resource> {
    this.#checkOpen();
    const expected = options.resourceVersion === undefined ? undefined : checkRevision(options.resourceVersion);
    const storageKey = keyFor(key);
    const existing = this.#current.get(storageKey);
    if (!existing) throw new NotFoundError(key);
    if (expected !== undefined && String(existing.modRevision) !== expected) {
      throw new RevisionConflictError(key, this.#tryDecode(storageKey, key.kind, existing));
    }
    this.#remove(storageKey);
    return this.#tryDecode(storageKey, key.kind, existing) ?? keyOnlyResource(key, String(existing.modRevision));
  }

  watch(query: ResourceQuery, options: WatchOptions): Watcher {
    this.#checkOpen();
    keyRangeFor(query); // rejects malformed queries now, as list would
    const after = options.revision === undefined ? this.#revision : Number(checkWatchRevision(options.revision));
    const watch = new MemoryWatch(query, options, after, (w) => this.#watches.delete(w));
    this.#watches.add(watch);
    if (options.revision === undefined) {
      watch.enqueue({ type: 'snapshot', items: this.#listAt(query, after), revision: String(after) });
      return watch;
    }
    // etcd keeps the changes at the compaction revision itself, so a watch may start there.
    if (after + 1 < this.#compactRevision) {
      watch.enqueue({ type: 'closed', error: new CompactedError(options.revision, String(this.#compactRevision)) });
      return watch;
    }
    for (const change of this.#history) if (change.revision > after) watch.enqueue({ type: 'change', change });
    return watch;
  }

  /**
   * Discards history before `revision`: reads at older revisions and watches from
   * before it fail with `CompactedError`, as after an etcd compaction.
   * @throws {CompactedError} when already compacted at or past `revision`.
   * @throws {RangeError} when `revision` is ahead of the current revision.
   */
  async compact(revision: string): Promise<void> {
    this.#checkOpen();
    const rev = Number(checkRevision(revision));
    if (rev <= this.#compactRevision) throw new CompactedError(revision, String(this.#compactRevision));
    if (rev > this.#revision) throw new RangeError(`Cannot compact at revision ${revision}: the store is at revision ${this.#revision}`);
    this.#compactTo(rev);
  }

  /**
   * Writes `value` verbatim at a storage key, bypassing the codec, as another writer
   * (older Calico, networking-calico, a broken tool) would. For seeding tests and demos.
   */
  async putRaw(storageKey: string, value: string): Promise<void> {
    this.#checkOpen();
    this.#write(storageKey, value, undefined);
  }

  /** The bytes stored at a storage key, or undefined when there are none. */
  async getRaw(storageKey: string): Promise<string | undefined> {
    this.#checkOpen();
    return this.#current.get(storageKey)?.value;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const kv of this.#current.values()) clearTimeout(kv.expiry);
    await Promise.all([...this.#watches].map((w) => w.stop()));
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('Cannot use MemoryStore: it has been closed');
  }

  #put(storageKey: string, kind: string, value: string, options: WriteOptions): Resource {
    const kv = this.#write(storageKey, value, options.ttlSeconds);
    return decodeStored(storageKey, kind, kv.value, String(kv.modRevision));
  }

  #write(storageKey: string, value: string, ttlSeconds: number | undefined): KeyValue {
    if (ttlSeconds !== undefined) checkTtlSeconds(ttlSeconds, storageKey);
    const prev = this.#current.get(storageKey);
    clearTimeout(prev?.expiry);
    const revision = ++this.#revision;
    const kv: KeyValue = { value, createRevision: prev?.createRevision ?? revision, modRevision: revision };
    if (ttlSeconds !== undefined) {
      // Like an etcd lease: the key goes when the TTL runs out, unless rewritten first.
      kv.expiry = setTimeout(() => {
        if (this.#current.get(storageKey) === kv) this.#remove(storageKey);
      }, ttlSeconds * 1000).unref();
    }
    if (!prev) this.#keys.splice(this.#keyIndex(storageKey), 0, storageKey);
    this.#current.set(storageKey, kv);
    this.#record({ revision, key: storageKey, kv, prev });
    return kv;
  }

  #remove(storageKey: string): void {
    const prev = this.#current.get(storageKey)!;
    clearTimeout(prev.expiry);
    this.#current.delete(storageKey);
    this.#keys.splice(this.#keyIndex(storageKey), 1);
    this.#record({ revision: ++this.#revision, key: storageKey, kv: undefined, prev });
  }

  #record(change: Change): void {
    this.#history.push(change);
    for (const watch of this.#watches) watch.enqueue({ type: 'change', change });
    // Compact in steps of a tenth of the limit so that writes stay O(1) amortised.
    if (this.#history.length > this.#historyLimit * 1.1) this.#compactTo(this.#history[this.#history.length - this.#historyLimit]!.revision);
  }

  #compactTo(revision: number): void {
    this.#compactRevision = revision;
    const keep = this.#history.findIndex((c) => c.revision >= revision);
    this.#history = keep < 0 ? [] : this.#history.slice(keep);
  }

  /** Index of the first key not ordered before `storageKey`. */
  #keyIndex(storageKey: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#keys[mid]!, storageKey) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #readRevision(revision: string): number {
    const rev = Number(checkRevision(revision));
    if (rev < this.#compactRevision) throw new CompactedError(revision, String(this.#compactRevision));
    if (rev > this.#revision) throw new RangeError(`Cannot read at revision ${revision}: the store is at revision ${this.#revision}`);
    return rev;
  }

  /** The key's value as of `revision`: the current one, rolled back through later changes. */
  #valueAt(storageKey: string, revision: number): KeyValue | undefined {
    let kv = this.#current.get(storageKey);
    for (let i = this.#history.length - 1; i >= 0 && this.#history[i]!.revision > revision; i--) {
      const change = this.#history[i]!;
      if (change.key === storageKey) kv = change.prev;
    }
    return kv;
  }

  #listAt(query: ResourceQuery, revision: number): Resource[] {
    const range = keyRangeFor(query);
    let keys: string[];
    if (range.exact) {
      keys = [range.key];
    } else {
      keys = [];
      for (let i = this.#keyIndex(range.key); i < this.#keys.length && this.#keys[i]!.startsWith(range.key); i++) keys.push(this.#keys[i]!);
      if (revision < this.#revision) {
        // Keys deleted since `revision` are gone from #keys but were there at the time.
        const seen = new Set(keys);
        for (const change of this.#history) {
          if (change.revision > revision && !seen.has(change.key) && change.key.startsWith(range.key)) {
            seen.add(change.key);
            keys.push(change.key);
          }
        }
        keys.sort(compareKeys);
      }
    }
    const items: Resource[] = [];
    for (const storageKey of keys) {
      const kv = revision === this.#revision ? this.#current.get(storageKey) : this.#valueAt(storageKey, revision);
      const key = kv && parseKey(storageKey);
      if (!key || !queryMatches(query, key)) continue;
      // As in Calico's etcd backend, an unreadable entry is left out of a list.
      const resource = this.#tryDecode(storageKey, key.kind, kv);
      if (resource) items.push(resource);
    }
    return items;
  }

  #tryDecode(storageKey: string, kind: string, kv: KeyValue): Resource | undefined {
    try {
      return decodeStored(storageKey, kind, kv.value, String(kv.modRevision));
    } catch (err) {
      if (err instanceof CorruptEntryError) return undefined;
      throw err;
    }
  }
}

/**
 * One watch on a MemoryStore. Events are queued as the store changes and delivered
 * from a microtask, in revision order, so a callback never runs inside the write that
 * caused it and may itself write to the store.
 */
class MemoryWatch implements Watcher {
  readonly #query: ResourceQuery;
  readonly #options: WatchOptions;
  /** Changes at or before this revision are not delivered (etcd's start revision minus one). */
  readonly #after: number;
  readonly #onEnd: (watch: MemoryWatch) => void;
  readonly #queue: Pending[] = [];
  #scheduled = false;
  #ended = false;

  constructor(query: ResourceQuery, options: WatchOptions, after: number, onEnd: (watch: MemoryWatch) => void) {
    this.#query = query;
    this.#options = options;
    this.#after = after;
    this.#onEnd = onEnd;
  }

  enqueue(item: Pending): void {
    if (this.#ended || (item.type === 'change' && item.change.revision <= this.#after)) return;
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  async stop(): Promise<void> {
    this.#end(undefined);
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0 && !this.#ended) {
      const item = this.#queue.shift()!;
      if (item.type === 'closed') {
        this.#end(item.error);
      } else if (item.type === 'snapshot') {
        for (const resource of item.items) {
          if (this.#ended) return;
          this.#options.onEvent({ type: 'ADDED', resource, revision: item.revision });
        }
        if (!this.#ended) this.#options.onSynced?.(item.revision);
      } else {
        const event = changeToEvent(toStoredChange(item.change), this.#query);
        if (event) this.#options.onEvent(event);
      }
    }
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue.length = 0;
    this.#onEnd(this);
    this.#options.onClosed?.(error);
  }
}

function toStoredChange(change: Change): StoredChange {
  const prev = change.prev && { value: change.prev.value, modRevision: String(change.prev.modRevision) };
  if (!change.kv) return { key: change.key, type: 'delete', revision: String(change.revision), prev };
  return { key: change.key, type: 'put', revision: String(change.revision), value: change.kv.value, createRevision: String(change.kv.createRevision), prev };
}

