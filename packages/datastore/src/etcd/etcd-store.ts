/**
 * `EtcdStore`: the `Store` on etcd v3, data-compatible with Calico. Each operation is the
 * etcd transaction Calico's etcdv3 backend issues (spec §6.4), on Calico's keys, with the
 * values the shared codec writes. Talks to etcd through the etcd3 client; every failure
 * is translated once, in `translate-error.ts`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { describeKey, type Resource, type ResourceKey } from '@percale/api';
import { CompareResult, CompareTarget, Etcd3, type ICompare, type IKeyValue, type IOptions } from 'etcd3';
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
} from '../codec.ts';
import { AlreadyExistsError, CorruptEntryError, isRetryable, NotFoundError, RevisionConflictError } from '../errors.ts';
import { keyFor, keyRangeFor, parseKey, queryMatches } from '../keys.ts';
import type { DeleteOptions, ListOptions, ListResult, ResourceQuery, Store, WatchEvent, WatchOptions, Watcher, WriteOptions } from '../store.ts';
import type { KeyValueStore } from '../kv-store.ts';
import { EtcdKeyValueStore } from './etcd-kv-store.ts';
import { EtcdWatch, toStoredChange } from './etcd-store-watch.ts';
import { translateEtcdError } from './translate-error.ts';

/** TLS material for etcd: PEM files or inline PEM text (not both styles at once). */
export interface EtcdTlsOptions {
  /** CA bundle that signed etcd's server certificate (default: the system roots). */
  caFile?: string;
  /** Client certificate, for etcd's `--client-cert-auth`. */
  certFile?: string;
  keyFile?: string;
  /** The same three as inline PEM text (Calico's `etcdCACert`, `etcdCert`, `etcdKey`). */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `['https://10.0.0.1:2379']`; `unix:///path:0` for a unix socket. */
  endpoints: string[];
  tls?: EtcdTlsOptions;
  /** etcd user name; only with `password`. */
  username?: string;
  password?: string;
  /**
   * How long one operation may take to reach etcd and get its answer, connection retries
   * included (default 10 s, Calico's dial timeout). When it runs out the operation fails
   * with `DatastoreUnavailableError` naming the endpoints.
   */
  dialTimeoutMs?: number;
  /**
   * How long a watch keeps reconnecting on its own while etcd is unreachable before it
   * ends with `DatastoreUnavailableError` (default 30 s). Shorter outages are invisible
   * to the watcher: it resumes after the last revision it delivered.
   */
  watchReconnectTimeoutMs?: number;
}

const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
const DEFAULT_WATCH_RECONNECT_TIMEOUT_MS = 30_000;
/** Conflicts an apply rides out before giving up on a key that changes constantly. */
const MAX_APPLY_ATTEMPTS = 16;
/** Writes per `writeBatch` transaction: etcd refuses more than 128 operations per txn by default. */
const MAX_BATCH_OPS = 100;

/** One conditional write of `EtcdStore.writeBatch`; each op of a batch must touch its own key. */
export type BatchWrite =
  /** Write only if the key does not exist (as `create`). */
  | { op: 'create'; resource: Resource }
  /** Replace only if the key is still at `resource.metadata.resourceVersion` (as `update`). */
  | { op: 'update'; resource: Resource }
  /** Delete only if the key is still at `resourceVersion`. */
  | { op: 'delete'; key: ResourceKey; resourceVersion: string };

/** Per op of a batch: applied (with the revision of the write), or its condition did not hold. */
export type BatchWriteOutcome = { ok: true; revision: string } | { ok: false };

/** The compare of a conditional write: the key is at `modRevision`, or does not exist when undefined. */
function atRevision(key: Buffer, modRevision: string | undefined): ICompare {
  return modRevision === undefined
    ? { key, target: CompareTarget.Version, result: CompareResult.Equal, version: 0 }
    : { key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: modRevision };
}

/** etcd's Range for "every key starting with `prefix`": the end is the prefix plus one. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all keys
}

type FaultPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * A fault-handling policy that only runs the call: no retries and no circuit breaker
 * (EtcdStore retries by itself, within its time budget). The connection pool calls
 * nothing but `execute`.
 */
const passThrough = {
  execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> => fn({ signal: new AbortController().signal }),
} as unknown as FaultPolicy;

function buildClientOptions(options: EtcdStoreOptions): IOptions {
  if (options.endpoints.length === 0) throw new TypeError('Cannot configure the etcd datastore: no endpoints given');
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new TypeError('Cannot configure the etcd datastore: username and password must be given together');
  }
  const client: IOptions = {
    hosts: options.endpoints,
    grpcOptions: {
      // Calico's keepalive (30 s, 10 s timeout) notices a dead connection under a quiet watch.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // gRPC backs off reconnects up to 2 minutes by default; etcd coming back should be seen in seconds.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
      // gRPC's default 4 MiB reply limit would fail a list of a few thousand endpoints;
      // etcd's own client accepts any size, and so do we.
      'grpc.max_receive_message_length': -1,
    },
    faultHandling: {
      // Retries happen in EtcdStore.#call, within the dial timeout.
      global: passThrough,
      // With one endpoint a circuit breaker only delays recovery; with several it steers
      // requests away from a dead member (etcd3's default breaker).
      ...(options.endpoints.length === 1 && { host: () => passThrough }),
    },
  };
  if (options.username !== undefined) client.auth = { username: options.username, password: options.password! };
  const tls = options.tls;
  if (tls) {
    const files = tls.caFile ?? tls.certFile ?? tls.keyFile;
    const inline = tls.ca ?? tls.cert ?? tls.key;
    if (files !== undefined && inline !== undefined) {
      throw new TypeError('Cannot configure etcd TLS: give the CA, certificate and key either as files or inline, not both');
    }
    if ((tls.certFile ?? tls.cert) === undefined !== ((tls.keyFile ?? tls.key) === undefined)) {
      throw new TypeError('Cannot configure etcd TLS: a client certificate needs its key and a key needs its certificate');
    }
    const pem = (file: string | undefined, text: string | undefined, what: string) => {
      if (text !== undefined) return Buffer.from(text);
      if (file === undefined) return undefined;
      try {
        return readFileSync(file);
      } catch (err) {
        throw new TypeError(`Cannot read the etcd ${what} file "${file}": ${(err as Error).message}`, { cause: err });
      }
    };
    const privateKey = pem(tls.keyFile, tls.key, 'key');
    const certChain = pem(tls.certFile, tls.cert, 'certificate');
    client.credentials = {
      // gRPC takes null as "the system roots"; etcd3's type insists on a Buffer.
      rootCertificate: pem(tls.caFile, tls.ca, 'CA') ?? (null as unknown as Buffer),
      ...(privateKey && { privateKey }),
      ...(certChain && { certChain }),
    };
  }
  return client;
}

/**
 * A `Store` on etcd v3 using Calico's key layout and transactions.
 * @example
 * const store = new EtcdStore({ endpoints: ['http://127.0.0.1:2379'] });
 * const { items, revision } = await store.list({ kind: 'IPPool' });
 * await store.close();
 */
export class EtcdStore implements Store {
  readonly #client: Etcd3;
  readonly #endpoints: readonly string[];
  readonly #dialTimeoutMs: number;
  readonly #watchReconnectTimeoutMs: number;
  readonly #watches = new Set<{ stop(): Promise<void> }>();
  #closed = false;

  /** @throws {TypeError} for contradictory options or unreadable TLS files. */
  constructor(options: EtcdStoreOptions) {
    this.#client = new Etcd3(buildClientOptions(options));
    this.#endpoints = [...options.endpoints];
    this.#dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    this.#watchReconnectTimeoutMs = options.watchReconnectTimeoutMs ?? DEFAULT_WATCH_RECONNECT_TIMEOUT_MS;
  }

  async get(key: ResourceKey, options: ListOptions = {}): Promise<Resource> {
    const storageKey = keyFor(key);
    const revision = options.revision === undefined ? undefined : checkRevision(options.revision);
    const res = await this.#call({ action: `get ${describeKey(key)}`, revision }, (deadline) =>
      this.#client.kv.range({ key: Buffer.from(storageKey), ...(revision && { revision }) }, { deadline }),
    );
    const kv = res.kvs[0];
    if (!kv) throw new NotFoundError(key);
    return decodeStored(storageKey, key.kind, kv.value.toString(), kv.mod_revision);
  }

  /**
   * One range read; entries whose key or value cannot be read are left out, as Calico
   * does. The list's revision is the header revision, or the revision asked for.
   */
  async list(query: ResourceQuery, options: ListOptions = {}): Promise<ListResult> {
    const range = keyRangeFor(query);
    const revision = options.revision === undefined ? undefined : checkRevision(options.revision);
    const start = Buffer.from(range.key);
    const res = await this.#call({ action: `list ${query.kind ?? 'resources'}`, revision }, (deadline) =>
      this.#client.kv.range({ key: start, ...(!range.exact && { range_end: prefixRangeEnd(start) }), ...(revision && { revision }) }, { deadline }),
    );
    const items: Resource[] = [];
    for (const kv of res.kvs) {
      const storageKey = kv.key.toString();
      const key = parseKey(storageKey);
      if (!key || !queryMatches(query, key)) continue;
      try {
        items.push(decodeStored(storageKey, key.kind, kv.value.toString(), kv.mod_revision));
      } catch (err) {
        if (!(err instanceof CorruptEntryError)) throw err;
      }
    }
    // etcd's header carries the current revision even for a read at an older one; report
    // the revision the items are from, so that watching after it misses nothing.
    return { items, revision: revision ?? res.header.revision };
  }

  async create(resource: Resource, options: WriteOptions = {}): Promise<Resource> {
    const key = resourceKeyOf(resource);
    const storageKey = keyFor(key);
    const value = encodeForStorage(withCreationMetadata(resource));
    const lease = await this.#lease(storageKey, options.ttlSeconds);
    const k = Buffer.from(storageKey);
    const res = await this.#call({ action: `create ${describeKey(key)}` }, (deadline) =>
      this.#client.kv.txn(
        {
          compare: [atRevision(k, undefined)],
          success: [{ request_put: { key: k, value: Buffer.from(value), ...(lease && { lease }) } }],
          failure: [{ request_range: { key: k } }],
        },
        { deadline },
      ),
    );
    if (!res.succeeded) throw new AlreadyExistsError(key, this.#tryDecode(storageKey, key.kind, res.responses[0]?.response_range?.kvs[0]));
    return decodeStored(storageKey, key.kind, value, res.header.revision);
  }

  async update(resource: Resource, options: WriteOptions = {}): Promise<Resource> {
    const expected = checkUpdateMetadata(resource);
    const key = resourceKeyOf(resource);
    const storageKey = keyFor(key);
    const value = encodeForStorage(resource);
    const lease = await this.#lease(storageKey, options.ttlSeconds);
    const k = Buffer.from(storageKey);
    const res = await this.#call({ action: `update ${describeKey(key)}` }, (deadline) =>
      this.#client.kv.txn(
        {
          compare: [atRevision(k, expected)],
          success: [{ request_put: { key: k, value: Buffer.from(value), ...(lease && { lease }) } }],
          failure: [{ request_range: { key: k } }],
        },
        { deadline },
      ),
    );
    if (!res.succeeded) {
      const current = res.responses[0]?.response_range?.kvs[0];
      if (!current) throw new NotFoundError(key);
      throw new RevisionConflictError(key, this.#tryDecode(storageKey, key.kind, current));
    }
    return decodeStored(storageKey, key.kind, value, res.header.revision);
  }

  /**
   * Writes unconditionally. When the resource lacks `uid` or `creationTimestamp`, the
   * stored ones are kept: read, then compare-and-swap on that read, repeated if another
   * writer got in between.
   */
  async apply(resource: Resource, options: WriteOptions = {}): Promise<Resource> {
    const key = resourceKeyOf(resource);
    const storageKey = keyFor(key);
    const action = `apply ${describeKey(key)}`;
    const lease = await this.#lease(storageKey, options.ttlSeconds);
    const k = Buffer.from(storageKey);
    const put = (value: string) => ({ request_put: { key: k, value: Buffer.from(value), ...(lease && { lease }) } });
    if (resource.metadata?.uid && resource.metadata.creationTimestamp) {
      const value = encodeForStorage(resource);
      const res = await this.#call({ action }, (deadline) => this.#client.kv.txn({ success: [put(value)] }, { deadline }));
      return decodeStored(storageKey, key.kind, value, res.header.revision);
    }
    let current = (await this.#call({ action }, (deadline) => this.#client.kv.range({ key: k }, { deadline }))).kvs[0];
    for (let attempt = 1; ; attempt++) {
      const value = encodeForStorage(keepCreationMetadata(resource, current?.value.toString()));
      const compare = atRevision(k, current?.mod_revision);
      const res = await this.#call({ action }, (deadline) =>
        this.#client.kv.txn({ compare: [compare], success: [put(value)], failure: [{ request_range: { key: k } }] }, { deadline }),
      );
      if (res.succeeded) return decodeStored(storageKey, key.kind, value, res.header.revision);
      current = res.responses[0]?.response_range?.kvs[0];
      if (attempt >= MAX_APPLY_ATTEMPTS) throw new RevisionConflictError(key, this.#tryDecode(storageKey, key.kind, current));
    }
  }

  /**
   * Many conditional writes with few round trips (bulk reconcilers such as the Neutron
   * controller's resync): up to 100 ops per etcd transaction, each op with the condition its
   * single-call form has. When any condition of a transaction fails, that transaction's ops
   * are retried one transaction each, so every op gets its own outcome.
   * @throws {TypeError} when two ops touch the same key.
   */
  async writeBatch(ops: readonly BatchWrite[]): Promise<BatchWriteOutcome[]> {
    const prepared = ops.map((op) => {
      if (op.op === 'delete') {
        const k = Buffer.from(keyFor(op.key));
        return {
          key: k.toString(),
          compare: atRevision(k, checkRevision(op.resourceVersion)),
          request: { request_delete_range: { key: k } },
        };
      }
      const expected = op.op === 'update' ? checkUpdateMetadata(op.resource) : undefined;
      const k = Buffer.from(keyFor(resourceKeyOf(op.resource)));
      const value = encodeForStorage(op.op === 'create' ? withCreationMetadata(op.resource) : op.resource);
      return {
        key: k.toString(),
        compare: atRevision(k, expected),
        request: { request_put: { key: k, value: Buffer.from(value) } },
      };
    });
    if (new Set(prepared.map((p) => p.key)).size !== prepared.length) throw new TypeError('Cannot write a batch that touches one key twice');
    const outcomes: BatchWriteOutcome[] = [];
    const txn = (part: typeof prepared) =>
      this.#call({ action: `write a batch of ${part.length} resources` }, (deadline) =>
        this.#client.kv.txn({ compare: part.map((p) => p.compare), success: part.map((p) => p.request) }, { deadline }),
      );
    for (let start = 0; start < prepared.length; start += MAX_BATCH_OPS) {
      const part = prepared.slice(start, start + MAX_BATCH_OPS);
      const res = await txn(part);
      if (res.succeeded) {
        for (let i = 0; i < part.length; i++) outcomes.push({ ok: true, revision: res.header.revision });
        continue;
      }
      const singles = await Promise.all(part.map((p) => txn([p])));
      for (const r of singles) outcomes.push(r.succeeded ? { ok: true, revision: r.header.revision } : { ok: false });
    }
    return outcomes;
  }

  async delete(key: ResourceKey, options: DeleteOptions = {}): Promise<Resource> {
    const storageKey = keyFor(key);
    const expected = options.resourceVersion === undefined ? undefined : checkRevision(options.resourceVersion);
    const k = Buffer.from(storageKey);
    const action = `delete ${describeKey(key)}`;
    let previous: IKeyValue | undefined;
    if (expected === undefined) {
      const res = await this.#call({ action }, (deadline) => this.#client.kv.deleteRange({ key: k, prev_kv: true }, { deadline }));
      previous = res.prev_kvs[0];
    } else {
      const res = await this.#call({ action }, (deadline) =>
        this.#client.kv.txn(
          {
            compare: [atRevision(k, expected)],
            success: [{ request_delete_range: { key: k, prev_kv: true } }],
            failure: [{ request_range: { key: k } }],
          },
          { deadline },
        ),
      );
      if (!res.succeeded) {
        const current = res.responses[0]?.response_range?.kvs[0];
        if (!current) throw new NotFoundError(key);
        throw new RevisionConflictError(key, this.#tryDecode(storageKey, key.kind, current));
      }
      previous = res.responses[0]?.response_delete_range?.prev_kvs[0];
    }
    if (!previous) throw new NotFoundError(key);
    return this.#tryDecode(storageKey, key.kind, previous) ?? keyOnlyResource(key, previous.mod_revision);
  }

  watch(query: ResourceQuery, options: WatchOptions): Watcher {
    if (this.#closed) throw new Error('Cannot watch: the EtcdStore has been closed');
    if (options.revision !== undefined) checkWatchRevision(options.revision);
    const range = keyRangeFor(query);
    const start = Buffer.from(range.key);
    const watch: EtcdWatch<WatchEvent> = new EtcdWatch({
      client: this.#client,
      what: `watch ${query.kind ?? 'resources'}${query.namespace ? ` in namespace ${query.namespace}` : ''}${query.name ? ` named ${query.name}${query.namePrefix ? '*' : ''}` : ''}`,
      range: { key: start, ...(!range.exact && { rangeEnd: prefixRangeEnd(start) }) },
      options,
      toEvent: (ev) => changeToEvent(toStoredChange(ev), query),
      snapshot: async () => {
        const { items, revision } = await this.list(query);
        return { events: items.map((resource): WatchEvent => ({ type: 'ADDED', resource, revision })), revision };
      },
      refreshAuth: () => this.#call({ action: 'authenticate' }, (deadline) => this.#client.kv.range({ key: start, count_only: true }, { deadline })).then(() => undefined),
      endpoints: this.#endpoints,
      reconnectTimeoutMs: this.#watchReconnectTimeoutMs,
      onEnd: (w) => this.#watches.delete(w),
    });
    this.#watches.add(watch);
    watch.start();
    return watch;
  }

  /**
   * Compacts etcd's history before `revision` (admin and test use): older revisions can
   * no longer be read or watched from.
   * @throws {CompactedError} when already compacted at or past `revision`.
   * @throws {RangeError} when `revision` is ahead of the current revision.
   */
  async compact(revision: string): Promise<void> {
    const rev = checkRevision(revision);
    await this.#call({ action: `compact at revision ${rev}`, revision: rev }, (deadline) =>
      this.#client.kv.compact({ revision: rev, physical: true }, { deadline }),
    );
  }

  /** Raw keys and leases on the same etcd connection (status keys outside the resource tree). */
  keyValues(): KeyValueStore {
    return new EtcdKeyValueStore({
      client: this.#client,
      call: (action, run) => this.#call({ action }, run),
      endpoints: this.#endpoints,
      watchReconnectTimeoutMs: this.#watchReconnectTimeoutMs,
      watches: this.#watches,
      isClosed: () => this.#closed,
    });
  }

  /** Stops every watch and closes the connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#watches].map((w) => w.stop()));
    this.#client.close();
  }

  /**
   * Runs one etcd request with the dial-timeout budget: each attempt carries the
   * remaining time as its gRPC deadline, and "unavailable" failures are retried with
   * backoff while time remains. (A request that timed out on the server may still have
   * been applied; a retried compare-and-swap then reports a conflict rather than
   * silently writing twice.)
   */
  async #call<T>(context: { action: string; revision?: string | undefined }, run: (deadline: number) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error(`Cannot ${context.action}: the EtcdStore has been closed`);
    const deadline = Date.now() + this.#dialTimeoutMs;
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 1000)) {
      try {
        return await run(deadline);
      } catch (err) {
        const error = translateEtcdError(err, { ...context, endpoints: this.#endpoints });
        if (!isRetryable(error) || this.#closed || Date.now() + backoff >= deadline) throw error;
      }
      await delay(backoff);
    }
  }

  async #lease(storageKey: string, ttlSeconds: number | undefined): Promise<string | undefined> {
    if (ttlSeconds === undefined) return undefined;
    const ttl = checkTtlSeconds(ttlSeconds, storageKey);
    const res = await this.#call({ action: `grant a ${ttl} s lease for ${storageKey}` }, (deadline) => this.#client.leaseClient.leaseGrant({ TTL: ttl }, { deadline }));
    return res.ID;
  }

  #tryDecode(storageKey: string, kind: string, kv: IKeyValue | undefined): Resource | undefined {
    if (!kv) return undefined;
    try {
      return decodeStored(storageKey, kind, kv.value.toString(), kv.mod_revision);
    } catch (err) {
      if (err instanceof CorruptEntryError) return undefined;
      throw err;
    }
  }
}
