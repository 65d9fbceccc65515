/**
 * The raw `KeyValueStore` on etcd v3, sharing an `EtcdStore`'s connection, time budget,
 * error translation and watch machinery (obtained with `EtcdStore.keyValues()`). Used for
 * Felix's status keys and the Neutron controller's election and compaction keys, which
 * live outside the v3 resource tree and expire with etcd leases.
 * @module
 */
import { CompareResult, CompareTarget, type Etcd3, type ICompare, type IEvent, type IKeyValue } from 'etcd3';
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
import { EtcdWatch } from './etcd-store-watch.ts';
import { prefixRangeEnd } from './etcd-store.ts';

/** Runs one etcd request within the store's time budget, translating failures. */
export type EtcdCall = <T>(action: string, run: (deadline: number) => Promise<T>) => Promise<T>;

/** What the key-value store shares with its `EtcdStore`. */
export interface EtcdKeyValueStoreDeps {
  client: Etcd3;
  call: EtcdCall;
  endpoints: readonly string[];
  watchReconnectTimeoutMs: number;
  /** The store's running watches, stopped when it closes. */
  watches: Set<{ stop(): Promise<void> }>;
  /** Whether the store has been closed. */
  isClosed: () => boolean;
}

// etcd's answer when a lease is gone (expired or revoked).
const LEASE_NOT_FOUND = 'requested lease not found';

/** A `KeyValueStore` on an etcd connection owned by an `EtcdStore`. */
export class EtcdKeyValueStore implements KeyValueStore {
  readonly #deps: EtcdKeyValueStoreDeps;
  readonly #client: Etcd3;
  readonly #call: EtcdCall;

  constructor(deps: EtcdKeyValueStoreDeps) {
    this.#deps = deps;
    this.#client = deps.client;
    this.#call = deps.call;
  }

  async get(key: string): Promise<KeyValueEntry | undefined> {
    const res = await this.#call(`get ${key}`, (deadline) => this.#client.kv.range({ key: Buffer.from(key) }, { deadline }));
    const kv = res.kvs[0];
    return kv && toEntry(kv);
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<string> {
    checkRawKey(key, 'put');
    checkPutOptions(key, options);
    const lease = await this.#leaseFor(options);
    const res = await this.#call(`put ${key}`, (deadline) =>
      this.#client.kv.put({ key: Buffer.from(key), value: Buffer.from(value), ...(lease && { lease }) }, { deadline }),
    );
    return res.header.revision;
  }

  /** The lease a put attaches the key to: a fresh one for `ttlSeconds`, the given one, or none. */
  async #leaseFor(options: PutOptions): Promise<string | undefined> {
    return options.ttlSeconds === undefined ? options.lease?.id : (await this.grantLease(options.ttlSeconds)).id;
  }

  async delete(key: string): Promise<boolean> {
    checkRawKey(key, 'delete');
    const res = await this.#call(`delete ${key}`, (deadline) => this.#client.kv.deleteRange({ key: Buffer.from(key) }, { deadline }));
    return res.deleted !== '0';
  }

  async list(prefix: string): Promise<KeyValueEntry[]> {
    return (await this.snapshot(prefix)).entries;
  }

  async putIf(key: string, value: string, condition: KeyCondition, options: PutOptions = {}): Promise<string | undefined> {
    checkRawKey(key, 'put');
    checkPutOptions(key, options);
    const compare = toCompare(key, checkCondition(key, condition));
    const lease = await this.#leaseFor(options);
    const res = await this.#call(`compare-and-put ${key}`, (deadline) =>
      this.#client.kv.txn(
        { compare: [compare], success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value), ...(lease && { lease }) } }], failure: [] },
        { deadline },
      ),
    );
    return res.succeeded ? res.header.revision : undefined;
  }

  async deleteIf(key: string, condition: KeyCondition): Promise<boolean> {
    checkRawKey(key, 'delete');
    const compare = toCompare(key, checkCondition(key, condition));
    const res = await this.#call(`compare-and-delete ${key}`, (deadline) =>
      this.#client.kv.txn({ compare: [compare], success: [{ request_delete_range: { key: Buffer.from(key) } }], failure: [] }, { deadline }),
    );
    return res.succeeded && res.responses[0]?.response_delete_range?.deleted !== '0';
  }

  async snapshot(prefix: string): Promise<{ entries: KeyValueEntry[]; revision: string }> {
    const start = Buffer.from(prefix);
    const res = await this.#call(`read keys under ${prefix}`, (deadline) =>
      this.#client.kv.range({ key: start, range_end: prefixRangeEnd(start) }, { deadline }),
    );
    return { entries: res.kvs.map(toEntry), revision: res.header.revision };
  }

  watch(prefix: string, options: KeyValueWatchOptions): KeyValueWatch {
    const after = checkAfterRevision(prefix, options.afterRevision);
    if (this.#deps.isClosed()) throw new Error(`Cannot watch keys under "${prefix}": the EtcdStore has been closed`);
    const start = Buffer.from(prefix);
    const what = `watch keys under ${prefix}`;
    const watch: EtcdWatch<KeyValueEvent> = new EtcdWatch({
      client: this.#client,
      what,
      range: { key: start, rangeEnd: prefixRangeEnd(start) },
      options: {
        revision: after.toString(),
        onEvent: (event) => options.onEvent(event),
        onClosed: (error) => error && options.onError(error),
      },
      toEvent,
      refreshAuth: () => this.#call('authenticate', (deadline) => this.#client.kv.range({ key: start, count_only: true }, { deadline })).then(() => undefined),
      endpoints: this.#deps.endpoints,
      reconnectTimeoutMs: this.#deps.watchReconnectTimeoutMs,
      onEnd: (w) => this.#deps.watches.delete(w),
    });
    this.#deps.watches.add(watch);
    watch.start();
    return { stop: () => watch.stop() };
  }

  async leaseTimeToLive(leaseId: string): Promise<number | undefined> {
    try {
      const res = await this.#call(`read the TTL of lease ${leaseId}`, (deadline) => this.#client.leaseClient.leaseTimeToLive({ ID: leaseId }, { deadline }));
      const ttl = Number(res.TTL);
      return ttl < 0 ? undefined : ttl;
    } catch (err) {
      if (err instanceof Error && err.message.includes(LEASE_NOT_FOUND)) return undefined;
      throw err;
    }
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

function toCompare(key: string, condition: KeyCondition): ICompare {
  const k = Buffer.from(key);
  // A missing key compares as mod revision 0, so { modRevision: '0' } means "create only";
  // etcd fails every value comparison on a missing key.
  if ('modRevision' in condition) return { key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: condition.modRevision };
  return { key: k, target: CompareTarget.Value, result: CompareResult.Equal, value: Buffer.from(condition.value) };
}

function toEvent(ev: IEvent): KeyValueEvent {
  if (ev.type === 'Delete') return { type: 'DELETE', key: ev.kv.key.toString(), modRevision: ev.kv.mod_revision };
  return { type: 'PUT', entry: toEntry(ev.kv) };
}

function toEntry(kv: IKeyValue): KeyValueEntry {
  return { key: kv.key.toString(), value: kv.value.toString(), modRevision: kv.mod_revision, ...(kv.lease !== '0' && { lease: kv.lease }) };
}
