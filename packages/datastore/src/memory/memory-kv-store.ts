/**
 * `MemoryKeyValueStore`: the raw `KeyValueStore` in process, with etcd's lease rules
 * (a key on a lease goes when the lease expires or is revoked; rewriting a key moves it
 * to the new lease or to none). Expiry is checked against an injectable clock on every
 * access, so tests can step time instead of sleeping.
 * @module
 */
import { checkLeaseTtl, checkPutOptions, checkRawKey, type KeyValueEntry, type KeyValueStore, type Lease, type PutOptions } from '../kv-store.ts';
import { compareKeys } from './key-order.ts';

export interface MemoryKeyValueStoreOptions {
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
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
  #revision = 1;
  #nextLease = 0x1000;

  constructor(options: MemoryKeyValueStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
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
    let lease: string | undefined;
    if (options.ttlSeconds !== undefined) lease = (await this.grantLease(options.ttlSeconds)).id;
    else if (options.lease) {
      lease = options.lease.id;
      if (!this.#leases.has(lease)) throw new Error(`Cannot put "${key}": lease ${lease} has expired or been revoked`);
    }
    this.#detach(key);
    const modRevision = ++this.#revision;
    this.#values.set(key, { value, modRevision, lease });
    if (lease) this.#leases.get(lease)!.keys.add(key);
    return String(modRevision);
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
    const ttl = checkLeaseTtl(ttlSeconds);
    this.#expire();
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
  }
}

function entry(key: string, v: StoredValue): KeyValueEntry {
  return { key, value: v.value, modRevision: String(v.modRevision), ...(v.lease && { lease: v.lease }) };
}
