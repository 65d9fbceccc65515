/**
 * The raw `KeyValueStore` contract (the shared suite in `testing/`), run against
 * `MemoryKeyValueStore` (with a stepped clock) and `EtcdStore.keyValues()` on a private
 * etcd (data on tmpfs, real lease expiry).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EtcdStore } from './etcd/etcd-store.ts';
import { startLocalEtcd, type LocalEtcd } from './etcd/local-server.ts';
import { MemoryKeyValueStore } from './memory/memory-kv-store.ts';
import { runKeyValueConformance } from './testing/kv-store-conformance.ts';

runKeyValueConformance('MemoryKeyValueStore', async () => {
  let now = 1_000_000;
  const kv = new MemoryKeyValueStore({ now: () => now });
  return {
    kv,
    advance: async (s) => {
      now += s * 1000;
    },
    compact: async (revision) => kv.compact(revision),
  };
});

test('MemoryKeyValueStore() keeps at most historyLimit changes; a watch from before them is compacted', async () => {
  const kv = new MemoryKeyValueStore({ historyLimit: 10 });
  const first = await kv.put('/t/h/a', '0');
  for (let i = 1; i <= 20; i++) await kv.put('/t/h/a', String(i));
  const compacted = await new Promise<Error>((resolve) => {
    kv.watch('/t/h/', { afterRevision: first, onEvent: () => undefined, onError: resolve });
  });
  assert.equal((compacted as Error & { code?: string }).code, 'DATASTORE_COMPACTED');
  const { revision } = await kv.snapshot('/t/h/');
  const recent: string[] = [];
  const w = kv.watch('/t/h/', { afterRevision: String(Number(revision) - 5), onEvent: (e) => void recent.push(e.type === 'PUT' ? e.entry.value : 'DELETE'), onError: assert.fail });
  await delay(20);
  await w.stop();
  assert.deepEqual(recent, ['16', '17', '18', '19', '20']);
});

let etcd: LocalEtcd | undefined;
let store: EtcdStore | undefined;
before(async () => {
  etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-kv-test-${randomUUID()}`, removeDataOnStop: true });
  store = new EtcdStore({ endpoints: [etcd.endpoint], dialTimeoutMs: 5_000 });
});
after(async () => {
  await store?.close();
  await etcd?.stop();
});

runKeyValueConformance('EtcdStore.keyValues()', async () => {
  assert.ok(store, 'etcd did not start');
  const kv = store.keyValues();
  for (const e of await kv.list('/t/')) await kv.delete(e.key);
  return { kv, advance: (s) => delay(s * 1000), compact: (revision) => store!.compact(revision) };
});

test('EtcdStore.keyValues() reports an unreachable etcd as DATASTORE_UNAVAILABLE', async () => {
  const dead = new EtcdStore({ endpoints: ['http://127.0.0.1:1'], dialTimeoutMs: 300 });
  try {
    await assert.rejects(dead.keyValues().put('/t/x', '1'), (err: Error & { code?: string }) => err.code === 'DATASTORE_UNAVAILABLE' && err.message.includes('127.0.0.1:1'));
  } finally {
    await dead.close();
  }
});
