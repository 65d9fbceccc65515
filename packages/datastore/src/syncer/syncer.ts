/**
 * `Syncer`: a reusable list+watch of v3 resources over `Store.watch`, as Calico's
 * watcher-syncer does for Felix and confd. It delivers a snapshot, then `in-sync`, then
 * live changes; when the watch ends (compaction, an etcd outage, anything) it backs off,
 * re-lists, and emits only the difference from what it delivered before, so consumers see
 * a consistent stream of changes and never a second full snapshot.
 *
 *   watch(snapshot) ──► pending ──onSynced──► diff vs cache ──► onUpdates ──► in-sync
 *        ▲                                                          │ live events
 *        └──── backoff (500 ms doubling to 30 s) ◄── onClosed(error) ┘
 * @module
 */
import type { Resource } from '@percale/api';
import { resourceKeyOf } from '../codec.ts';
import { CorruptEntryError, isUnavailable } from '../errors.ts';
import { keyFor, parseKey } from '../keys.ts';
import type { Store, WatchEvent, Watcher } from '../store.ts';

/** Calico's sync states (`felix_resync_state` 1, 2, 3). */
export type SyncStatus = 'wait-for-datastore' | 'resync-in-progress' | 'in-sync';

/** A change to one resource as the syncer delivers it. */
export type ResourceEvent = Extract<WatchEvent, { type: 'ADDED' | 'MODIFIED' | 'DELETED' }>;

export interface SyncerCallbacks {
  /** Changes in datastore order; after a resync, only what differs from before. */
  onUpdates(events: readonly ResourceEvent[]): void;
  /** The sync state changed. */
  onStatus(status: SyncStatus): void;
  /** The watch failed or a stored value could not be read; the syncer carries on. */
  onError?(error: Error, retryInMs?: number): void;
}

export interface SyncerOptions {
  /** Only these kinds (default: every v3 kind). */
  kinds?: readonly string[];
  /** First wait before re-watching after a failure (default 500 ms, Calico's minimum resync interval). */
  minBackoffMs?: number;
  /** Longest wait between attempts (default 30 s). */
  maxBackoffMs?: number;
}

const DEFAULT_MIN_BACKOFF_MS = 500;
const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** List+watch of v3 resources with clean, bounded-back-off resyncs. */
export class Syncer {
  readonly #store: Store;
  readonly #callbacks: SyncerCallbacks;
  readonly #kinds: ReadonlySet<string> | undefined;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  /** What consumers have been told exists, by storage key. */
  #cache = new Map<string, Resource>();
  #watcher: Watcher | undefined;
  /** The snapshot of the current watch while it is being delivered; undefined once synced. */
  #pending: Map<string, Resource> | undefined;
  #status: SyncStatus | undefined;
  #backoffMs: number;
  #timer: NodeJS.Timeout | undefined;
  #resyncs = 0;
  #running = false;

  constructor(store: Store, callbacks: SyncerCallbacks, options: SyncerOptions = {}) {
    this.#store = store;
    this.#callbacks = callbacks;
    this.#kinds = options.kinds && new Set(options.kinds);
    this.#minBackoffMs = options.minBackoffMs ?? DEFAULT_MIN_BACKOFF_MS;
    this.#maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.#backoffMs = this.#minBackoffMs;
  }

  /** Full lists started so far, the first included (`felix_resyncs_started`). */
  get resyncsStarted(): number {
    return this.#resyncs;
  }

  /** The number of resources delivered and not deleted. */
  get size(): number {
    return this.#cache.size;
  }

  /** Starts syncing; callbacks run later, never inside this call. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#setStatus('wait-for-datastore');
    this.#timer = setTimeout(() => this.#watch(), 0);
  }

  /** Stops the watch; no callback runs after this resolves. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.stop();
  }

  #watch(): void {
    if (!this.#running) return;
    this.#timer = undefined;
    this.#resyncs++;
    const pending = new Map<string, Resource>();
    this.#pending = pending;
    let watcher: Watcher | undefined;
    const current = () => this.#running && watcher !== undefined && this.#watcher === watcher;
    try {
      watcher = this.#store.watch(
        {},
        {
          onEvent: (event) => {
            if (current()) this.#onEvent(event);
          },
          onSynced: () => {
            if (current()) this.#onSynced();
          },
          onClosed: (error) => {
            if (current()) this.#onClosed(error ?? new Error('the datastore watch ended unexpectedly'));
          },
        },
      );
    } catch (err) {
      this.#onClosed(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#watcher = watcher;
  }

  #onEvent(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      this.#onUnreadable(event.error);
      return;
    }
    const resource = event.type === 'DELETED' ? event.previous : event.resource;
    const key = event.type === 'DELETED' ? event.key : resourceKeyOf(resource);
    if (this.#kinds && !this.#kinds.has(key.kind)) return;
    const storageKey = keyFor(key);
    if (this.#pending) {
      // Snapshot (only ADDED arrives before onSynced).
      if (event.type !== 'DELETED') this.#pending.set(storageKey, event.resource);
      return;
    }
    const previous = this.#cache.get(storageKey);
    if (event.type === 'DELETED') {
      if (!previous) return;
      this.#cache.delete(storageKey);
      this.#callbacks.onUpdates([event]);
      return;
    }
    this.#cache.set(storageKey, event.resource);
    // Normalise against what consumers were told, so an ADDED always means "new to you".
    this.#callbacks.onUpdates([
      previous
        ? { type: 'MODIFIED', resource: event.resource, previous, revision: event.revision }
        : { type: 'ADDED', resource: event.resource, revision: event.revision },
    ]);
  }

  /**
   * A stored value that cannot be read is treated as absent, as Calico's watcher cache
   * does: consumers drop what they had for that key (which fails closed for endpoints).
   */
  #onUnreadable(error: Error): void {
    this.#callbacks.onError?.(error);
    if (!(error instanceof CorruptEntryError) || this.#pending) return;
    const key = parseKey(error.storageKey);
    const previous = this.#cache.get(error.storageKey);
    if (!key || !previous) return;
    this.#cache.delete(error.storageKey);
    this.#callbacks.onUpdates([{ type: 'DELETED', previous, key, revision: previous.metadata.resourceVersion ?? '0' }]);
  }

  #onSynced(): void {
    const snapshot = this.#pending!;
    this.#pending = undefined;
    this.#setStatus('resync-in-progress');
    const events: ResourceEvent[] = [];
    for (const [storageKey, previous] of this.#cache) {
      if (!snapshot.has(storageKey)) events.push({ type: 'DELETED', previous, key: resourceKeyOf(previous), revision: previous.metadata.resourceVersion ?? '0' });
    }
    for (const [storageKey, resource] of snapshot) {
      const previous = this.#cache.get(storageKey);
      const revision = resource.metadata.resourceVersion ?? '0';
      if (!previous) events.push({ type: 'ADDED', resource, revision });
      else if (previous.metadata.resourceVersion !== resource.metadata.resourceVersion) events.push({ type: 'MODIFIED', resource, previous, revision });
    }
    this.#cache = snapshot;
    if (events.length > 0) this.#callbacks.onUpdates(events);
    this.#backoffMs = this.#minBackoffMs;
    this.#setStatus('in-sync');
  }

  #onClosed(error: Error): void {
    this.#watcher = undefined;
    this.#pending = undefined;
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs);
    this.#setStatus(isUnavailable(error) ? 'wait-for-datastore' : 'resync-in-progress');
    this.#callbacks.onError?.(error, wait);
    if (this.#running) this.#timer = setTimeout(() => this.#watch(), wait);
  }

  #setStatus(status: SyncStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#callbacks.onStatus(status);
  }
}
