/**
 * `MemoryKeyValueStore`: the raw `KeyValueStore` in process, with etcd's lease rules
 * (a key on a lease goes when the lease expires or is revoked; rewriting a key moves it
 * to the new lease or to none), compare-and-swap, and watches replayed from a kept
 * history. Expiry is checked against an injectable clock on every access, and every
 * `expiryCheckMs` while a watch runs, so tests can step time instead of sleeping.
 * @module
 */
import { CompactedError } from '../errors.ts';
import {
  checkAfterRevision,
  checkCondition,
  checkLeaseTtl,
  checkPutOptions,
  checkRawKey,
  type KeyCondition,
  type KeyValueEntry,
  type KeyValueEvent,
  type KeyValueStore,
  type KeyValueWatch,
  type KeyValueWatchOptions,
  type Lease,
  type PutOptions,
} from '../kv-store.ts';
import { compareKeys } from './key-order.ts';

export interface MemoryKeyValueStoreOptions {
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
  /** How often expiry is checked while a watch runs, so expiries reach watchers unprompted (default 100 ms). */
  expiryCheckMs?: number;
  /**
   * Most changes kept for watches; older ones are compacted away as etcd's auto-compaction
   * would (default 100,000).
   */
  historyLimit?: number;
}

interface HistoryEntry {
  revision: number;
  event: KeyValueEvent;
}

interface MemoryWatch {
  prefix: string;
  options: KeyValueWatchOptions;
  /** Index of the next history entry to look at. */
  cursor: number;
  /** The revision delivered up to (for a compaction error's message). */
  after: number;
  stopped: boolean;
}

interface StoredValue {
  value: string;
  modRevision: number;
  lease: string | undefined;
}

interface LeaseState {
  ttlSeconds: number;
  expiresAt: number;
  keys: Set<string>;
}

/** An in-process `KeyValueStore` with etcd's lease semantics. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #now: () => number;
  readonly #values = new Map<string, StoredValue>();
  readonly #leases = new Map<string, LeaseState>();
  readonly #expiryCheckMs: number;
  readonly #historyLimit: number;
  /** Recent changes in revision order, from #compactedRevision on. */
  readonly #history: HistoryEntry[] = [];
  readonly #watches = new Set<MemoryWatch>();
  #expiryTimer: NodeJS.Timeout | undefined;
  #flushScheduled = false;
  #revision = 1;
  #compactedRevision = 0;
  #nextLease = 0x1000;

  constructor(options: MemoryKeyValueStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#expiryCheckMs = options.expiryCheckMs ?? 100;
    this.#historyLimit = options.historyLimit ?? 100_000;
  }

  async get(key: string): Promise<KeyValueEntry | undefined> {
    this.#expire();
    const v = this.#values.get(key);
    return v && entry(key, v);
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<string> {
    checkRawKey(key, 'put');
    checkPutOptions(key, options);
    this.#expire();
    return this.#write(key, value, this.#leaseFor(key, options));
  }

  async putIf(key: string, value: string, condition: KeyCondition, options: PutOptions = {}): Promise<string | undefined> {
    checkRawKey(key, 'put');
    checkPutOptions(key, options);
    const cond = checkCondition(key, condition);
    this.#expire();
    // No await between the check and the write: nothing can get in between.
    if (!this.#holds(key, cond)) return undefined;
    return this.#write(key, value, this.#leaseFor(key, options));
  }

  async deleteIf(key: string, condition: KeyCondition): Promise<boolean> {
    checkRawKey(key, 'delete');
    const cond = checkCondition(key, condition);
    this.#expire();
    if (!this.#holds(key, cond) || !this.#values.has(key)) return false;
    this.#remove(key);
    return true;
  }

  async snapshot(prefix: string): Promise<{ entries: KeyValueEntry[]; revision: string }> {
    const entries = await this.list(prefix);
    return { entries, revision: String(this.#revision) };
  }

  watch(prefix: string, options: KeyValueWatchOptions): KeyValueWatch {
    const after = Number(checkAfterRevision(prefix, options.afterRevision));
    const watch: MemoryWatch = { prefix, options, cursor: 0, after, stopped: false };
    if (after + 1 < this.#compactedRevision) {
      setImmediate(() => {
        if (!watch.stopped) options.onError(new CompactedError(String(after), String(this.#compactedRevision)));
      });
      return { stop: async () => void (watch.stopped = true) };
    }
    while (watch.cursor < this.#history.length && this.#history[watch.cursor]!.revision <= after) watch.cursor++;
    this.#watches.add(watch);
    this.#expiryTimer ??= setInterval(() => this.#expire(), this.#expiryCheckMs).unref();
    this.#scheduleFlush();
    return { stop: async () => this.#endWatch(watch) };
  }

  /**
   * Forgets history before `revision` as etcd's compaction does: a later watch from an
   * older revision fails with `CompactedError` (test use).
   */
  compact(revision: string): void {
    this.#compactTo(Number(revision));
  }

  async leaseTimeToLive(leaseId: string): Promise<number | undefined> {
    this.#expire();
    const state = this.#leases.get(leaseId);
    return state && Math.max(0, Math.floor((state.expiresAt - this.#now()) / 1000));
  }

  async delete(key: string): Promise<boolean> {
    checkRawKey(key, 'delete');
    this.#expire();
    if (!this.#values.has(key)) return false;
    this.#remove(key);
    return true;
  }

  async list(prefix: string): Promise<KeyValueEntry[]> {
    this.#expire();
    const keys = [...this.#values.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    return keys.map((k) => entry(k, this.#values.get(k)!));
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.#expire();
    return this.#grant(ttlSeconds);
  }

  #grant(ttlSeconds: number): Lease {
    const ttl = checkLeaseTtl(ttlSeconds);
    const id = String(this.#nextLease++);
    this.#leases.set(id, { ttlSeconds: ttl, expiresAt: this.#now() + ttl * 1000, keys: new Set() });
    return {
      id,
      ttlSeconds: ttl,
      keepAlive: async () => {
        this.#expire();
        const state = this.#leases.get(id);
        if (!state) return false;
        state.expiresAt = this.#now() + state.ttlSeconds * 1000;
        return true;
      },
      revoke: async () => {
        this.#expire();
        this.#revoke(id);
      },
    };
  }

  /** The lease a put attaches the key to: a fresh one for `ttlSeconds`, the given one, or none. */
  #leaseFor(key: string, options: PutOptions): string | undefined {
    if (options.ttlSeconds !== undefined) return this.#grant(options.ttlSeconds).id;
    if (!options.lease) return undefined;
    if (!this.#leases.has(options.lease.id)) throw new Error(`Cannot put "${key}": lease ${options.lease.id} has expired or been revoked`);
    return options.lease.id;
  }

  #holds(key: string, condition: KeyCondition): boolean {
    const current = this.#values.get(key);
    if ('modRevision' in condition) return String(current?.modRevision ?? 0) === condition.modRevision;
    return current !== undefined && current.value === condition.value;
  }

  #write(key: string, value: string, lease: string | undefined): string {
    this.#detach(key);
    const modRevision = ++this.#revision;
    const stored = { value, modRevision, lease };
    this.#values.set(key, stored);
    if (lease) this.#leases.get(lease)!.keys.add(key);
    this.#record({ type: 'PUT', entry: entry(key, stored) });
    return String(modRevision);
  }

  #record(event: KeyValueEvent): void {
    this.#history.push({ revision: this.#revision, event });
    if (this.#history.length > this.#historyLimit * 1.1) this.#compactTo(this.#history[this.#history.length - this.#historyLimit]!.revision);
    if (this.#watches.size > 0) this.#scheduleFlush();
  }

  /** Drops history before `revision`; a watch that had not yet seen it ends with CompactedError. */
  #compactTo(revision: number): void {
    if (revision <= this.#compactedRevision) return;
    this.#compactedRevision = revision;
    let drop = 0;
    while (drop < this.#history.length && this.#history[drop]!.revision < revision) drop++;
    this.#history.splice(0, drop);
    for (const watch of this.#watches) {
      watch.cursor -= drop;
      if (watch.cursor >= 0) continue;
      this.#endWatch(watch);
      setImmediate(() => watch.options.onError(new CompactedError(String(watch.after), String(revision))));
    }
  }

  #endWatch(watch: MemoryWatch): void {
    watch.stopped = true;
    this.#watches.delete(watch);
    if (this.#watches.size === 0) {
      clearInterval(this.#expiryTimer);
      this.#expiryTimer = undefined;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      for (const watch of this.#watches) this.#deliver(watch);
    });
  }

  /** Hands a watch every recorded change it has not seen, in order. */
  #deliver(watch: MemoryWatch): void {
    while (!watch.stopped && watch.cursor < this.#history.length) {
      const { event, revision } = this.#history[watch.cursor++]!;
      watch.after = revision;
      const key = event.type === 'PUT' ? event.entry.key : event.key;
      if (!key.startsWith(watch.prefix)) continue;
      try {
        watch.options.onEvent(event);
      } catch (err) {
        // A throwing callback is the consumer's bug: surface it instead of swallowing it here.
        setImmediate(() => {
          throw err;
        });
      }
    }
  }

  /** Drops every lease whose TTL has run out, with its keys. */
  #expire(): void {
    const now = this.#now();
    for (const [id, state] of this.#leases) if (state.expiresAt <= now) this.#revoke(id);
  }

  #revoke(id: string): void {
    const state = this.#leases.get(id);
    if (!state) return;
    this.#leases.delete(id);
    for (const key of state.keys) this.#remove(key);
  }

  #detach(key: string): void {
    const lease = this.#values.get(key)?.lease;
    if (lease) this.#leases.get(lease)?.keys.delete(key);
  }

  #remove(key: string): void {
    this.#detach(key);
    this.#values.delete(key);
    this.#revision++;
    this.#record({ type: 'DELETE', key, modRevision: String(this.#revision) });
  }
}

function entry(key: string, v: StoredValue): KeyValueEntry {
  return { key, value: v.value, modRevision: String(v.modRevision), ...(v.lease && { lease: v.lease }) };
}
