/**
 * The `KeyValueStore` contract: raw keys outside the v3 resource tree, with etcd leases.
 * Felix's status reports (`/calico/felix/v2/…`) and, later, the Neutron driver's leader
 * election live here; resources never do (they go through `Store` and its codec).
 * `EtcdStore.keyValues()` and `MemoryKeyValueStore` implement it.
 * @module
 */
import { RESOURCE_PREFIX } from './keys.ts';

/** One stored key. */
export interface KeyValueEntry {
  key: string;
  value: string;
  /** The revision of the last write to the key (decimal string). */
  modRevision: string;
  /** The lease the key is attached to, when there is one. */
  lease?: string;
}

/** A granted etcd lease: keys attached to it go when it expires or is revoked. */
export interface Lease {
  /** etcd's lease ID (decimal string). */
  readonly id: string;
  /** The TTL it was granted with, in seconds. */
  readonly ttlSeconds: number;
  /**
   * Refreshes the lease to its full TTL once. Resolves false when the lease has already
   * expired or been revoked (its keys are gone: grant a new one).
   */
  keepAlive(): Promise<boolean>;
  /** Revokes the lease, deleting every key attached to it; revoking a dead lease is not an error. */
  revoke(): Promise<void>;
}

/**
 * A compare-and-swap condition on one key: its mod revision (`'0'` = the key must not
 * exist) or its exact value (a missing key never matches a value).
 */
export type KeyCondition = { modRevision: string } | { value: string };

/** A change seen by `KeyValueStore.watch()`; lease expiry and revocation arrive as DELETE. */
export type KeyValueEvent =
  | { type: 'PUT'; entry: KeyValueEntry }
  | {
      type: 'DELETE';
      key: string;
      /** The revision of the deletion. */
      modRevision: string;
    };

export interface KeyValueWatchOptions {
  /** Deliver changes made after this revision (exclusive), e.g. a `snapshot()` revision. */
  afterRevision: string;
  /** Receives each change, in revision order. */
  onEvent(event: KeyValueEvent): void;
  /**
   * The watch has ended and delivers nothing more: `CompactedError` when `afterRevision`
   * has been compacted away (take a new snapshot), `DatastoreUnavailableError` when the
   * datastore stayed unreachable. Not called after `stop()`.
   */
  onError(error: Error): void;
}

/** A running `KeyValueStore.watch()`. */
export interface KeyValueWatch {
  /** Ends the watch; no event is delivered once this resolves. */
  stop(): Promise<void>;
}

export interface PutOptions {
  /**
   * Attach the key to a fresh lease of this many seconds (one grant per put, as Calico's
   * etcd backend does for TTL'd writes): the key disappears unless rewritten in time.
   */
  ttlSeconds?: number;
  /** Attach the key to an existing lease instead. */
  lease?: Lease;
}

/** Raw key-value access with leases, for keys outside `/calico/resources/v3/`. */
export interface KeyValueStore {
  /** Reads one key; undefined when it does not exist. */
  get(key: string): Promise<KeyValueEntry | undefined>;
  /**
   * Writes a key unconditionally; returns the revision of the write.
   * @throws {TypeError} for a key inside the v3 resource tree, or both `ttlSeconds` and `lease`.
   */
  put(key: string, value: string, options?: PutOptions): Promise<string>;
  /** Deletes a key; resolves false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Every key starting with `prefix`, in key (byte) order. */
  list(prefix: string): Promise<KeyValueEntry[]>;
  /** Grants a lease of `ttlSeconds` (a whole number, at least 1). */
  grantLease(ttlSeconds: number): Promise<Lease>;
  /**
   * The seconds left on a lease (by etcd ID, e.g. a `KeyValueEntry.lease`); undefined
   * when it has expired or been revoked.
   */
  leaseTimeToLive(leaseId: string): Promise<number | undefined>;
  /**
   * Writes only if `condition` holds, atomically; resolves the revision of the write, or
   * undefined when the condition did not hold (nothing written).
   * @throws {TypeError} as `put()` does, or for a malformed condition.
   */
  putIf(key: string, value: string, condition: KeyCondition, options?: PutOptions): Promise<string | undefined>;
  /** Deletes only if `condition` holds, atomically; resolves whether it deleted. */
  deleteIf(key: string, condition: KeyCondition): Promise<boolean>;
  /** Every key under the prefix, in key order, and the store revision of that one consistent read. */
  snapshot(prefix: string): Promise<{ entries: KeyValueEntry[]; revision: string }>;
  /**
   * Watches the keys under `prefix` for changes after `options.afterRevision`. Callbacks
   * run later, never inside this call; a throwing callback is a bug and surfaces as an
   * uncaught exception.
   */
  watch(prefix: string, options: KeyValueWatchOptions): KeyValueWatch;
}

/**
 * Rejects keys the raw API must not write: empty ones and any inside the v3 resource
 * tree, whose values only the storage codec may produce.
 * @throws {TypeError}
 */
export function checkRawKey(key: string, action: string): void {
  if (key === '') throw new TypeError(`Cannot ${action} an empty key`);
  if (key.startsWith(RESOURCE_PREFIX)) {
    throw new TypeError(`Cannot ${action} "${key}" as a raw key: keys under ${RESOURCE_PREFIX} hold resources; use the Store`);
  }
}

/**
 * Checks a lease TTL: etcd grants whole seconds, at least 1.
 * @throws {RangeError}
 */
export function checkLeaseTtl(ttlSeconds: number): number {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new RangeError(`Cannot grant a lease of ${ttlSeconds} s: the TTL must be a whole number of seconds, at least 1`);
  }
  return ttlSeconds;
}

/**
 * Checks a compare-and-swap condition and returns its form.
 * @throws {TypeError}
 */
export function checkCondition(key: string, condition: KeyCondition): KeyCondition {
  if ('modRevision' in condition) {
    if (typeof condition.modRevision !== 'string' || !/^(0|[1-9][0-9]*)$/.test(condition.modRevision)) {
      throw new TypeError(`Cannot compare-and-swap "${key}": mod revision "${String(condition.modRevision)}" is not a decimal revision`);
    }
    return { modRevision: condition.modRevision };
  }
  if ('value' in condition && typeof condition.value === 'string') return { value: condition.value };
  throw new TypeError(`Cannot compare-and-swap "${key}": the condition needs a modRevision or a value`);
}

/**
 * Checks a watch start revision (a decimal string, "0" for the beginning).
 * @throws {TypeError}
 */
export function checkAfterRevision(prefix: string, afterRevision: string): bigint {
  if (typeof afterRevision !== 'string' || !/^(0|[1-9][0-9]*)$/.test(afterRevision)) {
    throw new TypeError(`Cannot watch keys under "${prefix}": afterRevision "${String(afterRevision)}" is not a decimal revision`);
  }
  return BigInt(afterRevision);
}

/** @throws {TypeError} when both a TTL and a lease are given. */
export function checkPutOptions(key: string, options: PutOptions): void {
  if (options.ttlSeconds !== undefined && options.lease !== undefined) {
    throw new TypeError(`Cannot put "${key}": give either ttlSeconds or a lease, not both`);
  }
}
