/**
 * Compare-and-swap writes of many resources at once, for the resync: create-only puts,
 * `MOD ==` updates and deletes, each reporting whether its condition held. Uses the store's
 * batched transaction when it has one (one etcd txn carries up to 100 writes) and otherwise
 * keeps a bounded number of single CAS calls in flight. Also the read a CAS starts from
 * (`getIfExists`), shared by the resync and the dynamic syncs.
 * @module
 */
import type { Resource, ResourceKey } from '@percale/api';
import { isAlreadyExists, isNotFound, isRevisionConflict, type BatchWrite, type BatchWriteOutcome, type Store } from '@percale/datastore';

/** One conditional write: the datastore's batch operation (create-only, `MOD ==` update or delete). */
export type CasOp = BatchWrite;

/** What a batched store returns per op: the new revision, or false when the condition failed. */
export type BatchOutcome = BatchWriteOutcome;

/** A store that can run many conditional writes per transaction (EtcdStore, MemoryStore when they offer it). */
export interface BatchingStore {
  writeBatch(ops: readonly CasOp[]): Promise<BatchOutcome[]>;
}

/** Single CAS calls kept in flight when the store has no batch API. */
const DEFAULT_CONCURRENCY = 64;
/** Ops per batch: etcd refuses transactions of more than 128 operations by default. */
const BATCH_SIZE = 100;
/** Batches in flight. */
const BATCH_CONCURRENCY = 4;

function hasBatch(store: Store): store is Store & BatchingStore {
  return typeof (store as Partial<BatchingStore>).writeBatch === 'function';
}

/** The stored resource at `key`, or undefined when there is none (its revision is what a later CAS compares). */
export async function getIfExists(store: Store, key: ResourceKey): Promise<Resource | undefined> {
  try {
    return await store.get(key);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Runs one op as a single CAS call. Resolves true when it was applied, false when its
 * condition failed (someone else wrote or deleted the key first); other errors reject.
 */
export async function casOne(store: Store, op: CasOp): Promise<boolean> {
  try {
    if (op.op === 'create') await store.create(op.resource);
    else if (op.op === 'update') await store.update(op.resource);
    else await store.delete(op.key, { resourceVersion: op.resourceVersion });
    return true;
  } catch (err) {
    if (isAlreadyExists(err) || isRevisionConflict(err) || isNotFound(err)) return false;
    throw err;
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; the first rejection stops
 * new calls and rejects once the calls in flight have settled.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/**
 * Applies `ops`; resolves, per op, whether it was applied (false: its condition failed).
 * Order between ops is not guaranteed; each op touches its own key.
 */
export async function casMany(store: Store, ops: readonly CasOp[], concurrency = DEFAULT_CONCURRENCY): Promise<boolean[]> {
  const applied = new Array<boolean>(ops.length).fill(false);
  if (ops.length === 0) return applied;
  if (hasBatch(store)) {
    const starts: number[] = [];
    for (let i = 0; i < ops.length; i += BATCH_SIZE) starts.push(i);
    await forEachLimited(starts, BATCH_CONCURRENCY, async (start) => {
      const outcomes = await store.writeBatch(ops.slice(start, start + BATCH_SIZE));
      outcomes.forEach((o, i) => (applied[start + i] = o.ok));
    });
    return applied;
  }
  await forEachLimited(ops, concurrency, async (op, i) => {
    applied[i] = await casOne(store, op);
  });
  return applied;
}
