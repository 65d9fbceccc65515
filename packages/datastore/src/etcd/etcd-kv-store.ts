/**
 * The raw `KeyValueStore` on etcd v3, sharing an `EtcdStore`'s connection, time budget
 * and error translation (obtained with `EtcdStore.keyValues()`). Used for Felix's status
 * keys, which live outside the v3 resource tree and expire with etcd leases.
 * @module
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { checkLeaseTtl, checkPutOptions, checkRawKey, type KeyValueEntry, type KeyValueStore, type Lease, type PutOptions } from '../kv-store.ts';
import { prefixRangeEnd } from './etcd-store.ts';

/** Runs one etcd request within the store's time budget, translating failures. */
export type EtcdCall = <T>(action: string, run: (deadline: number) => Promise<T>) => Promise<T>;

// etcd's answer when a lease is gone (expired or revoked).
const LEASE_NOT_FOUND = 'requested lease not found';

/** A `KeyValueStore` on an etcd connection owned by an `EtcdStore`. */
export class EtcdKeyValueStore implements KeyValueStore {
  readonly #client: Etcd3;
  readonly #call: EtcdCall;

  constructor(client: Etcd3, call: EtcdCall) {
    this.#client = client;
    this.#call = call;
  }

  async get(key: string): Promise<KeyValueEntry | undefined> {
    const res = await this.#call(`get ${key}`, (deadline) => this.#client.kv.range({ key: Buffer.from(key) }, { deadline }));
    const kv = res.kvs[0];
    return kv && toEntry(kv);
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<string> {
    checkRawKey(key, 'put');
    checkPutOptions(key, options);
    let lease = options.lease?.id;
    if (options.ttlSeconds !== undefined) lease = (await this.grantLease(options.ttlSeconds)).id;
    const res = await this.#call(`put ${key}`, (deadline) =>
      this.#client.kv.put({ key: Buffer.from(key), value: Buffer.from(value), ...(lease && { lease }) }, { deadline }),
    );
    return res.header.revision;
  }

  async delete(key: string): Promise<boolean> {
    checkRawKey(key, 'delete');
    const res = await this.#call(`delete ${key}`, (deadline) => this.#client.kv.deleteRange({ key: Buffer.from(key) }, { deadline }));
    return res.deleted !== '0';
  }

  async list(prefix: string): Promise<KeyValueEntry[]> {
    const start = Buffer.from(prefix);
    const res = await this.#call(`list keys under ${prefix}`, (deadline) =>
      this.#client.kv.range({ key: start, range_end: prefixRangeEnd(start) }, { deadline }),
    );
    return res.kvs.map(toEntry);
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    const ttl = checkLeaseTtl(ttlSeconds);
    const res = await this.#call(`grant a ${ttl} s lease`, (deadline) => this.#client.leaseClient.leaseGrant({ TTL: ttl }, { deadline }));
    const id = res.ID;
    return {
      id,
      ttlSeconds: ttl,
      keepAlive: () => this.#keepAlive(id),
      revoke: () => this.#revoke(id),
    };
  }

  /** One round of etcd's keep-alive stream: TTL 0 in the answer means the lease is gone. */
  #keepAlive(id: string): Promise<boolean> {
    return this.#call(`keep lease ${id} alive`, async (deadline) => {
      const stream = await this.#client.leaseClient.leaseKeepAlive({ deadline });
      try {
        // The stream type offers only `on`; the first answer settles the promise, later events are ignored.
        return await new Promise<boolean>((resolve, reject) => {
          stream.on('data', (res) => resolve(res.TTL !== '0'));
          stream.on('error', reject);
          stream.on('end', () => reject(new Error(`etcd ended the keep-alive stream of lease ${id}`)));
          stream.write({ ID: id });
        });
      } finally {
        stream.on('error', () => undefined);
        stream.cancel();
      }
    });
  }

  async #revoke(id: string): Promise<void> {
    try {
      await this.#call(`revoke lease ${id}`, (deadline) => this.#client.leaseClient.leaseRevoke({ ID: id }, { deadline }));
    } catch (err) {
      if (!(err instanceof Error && err.message.includes(LEASE_NOT_FOUND))) throw err;
    }
  }
}

function toEntry(kv: IKeyValue): KeyValueEntry {
  return { key: kv.key.toString(), value: kv.value.toString(), modRevision: kv.mod_revision, ...(kv.lease !== '0' && { lease: kv.lease }) };
}
