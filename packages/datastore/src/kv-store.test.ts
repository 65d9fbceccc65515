/**
 * The raw `KeyValueStore` contract, run against `MemoryKeyValueStore` (with a stepped
 * clock) and `EtcdStore.keyValues()` on a private etcd (data on tmpfs, real lease expiry).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EtcdStore } from './etcd/etcd-store.ts';
import { startLocalEtcd, type LocalEtcd } from './etcd/local-server.ts';
import type { KeyValueStore } from './kv-store.ts';
import { MemoryKeyValueStore } from './memory/memory-kv-store.ts';

interface Harness {
  kv: KeyValueStore;
  /** Lets `seconds` pass for lease purposes. */
  advance(seconds: number): Promise<void>;
}

function runKeyValueConformance(name: string, setup: () => Promise<Harness>): void {
  describe(`${name} (KeyValueStore)`, () => {
    test('put() then get() returns the value and the revision of the write', async () => {
      const { kv } = await setup();
      const rev = await kv.put('/calico/felix/v2/no-region/host/h1/last_reported_status', '{"a":1}');
      const got = await kv.get('/calico/felix/v2/no-region/host/h1/last_reported_status');
      assert.equal(got?.value, '{"a":1}');
      assert.equal(got?.modRevision, rev);
      assert.equal(got?.lease, undefined);
      assert.equal(await kv.get('/calico/felix/v2/no-region/host/h1/nothing'), undefined);
    });

    test('list() returns the keys under a prefix in byte order, and no others', async () => {
      const { kv } = await setup();
      for (const k of ['/t/list/b', '/t/list/a', '/t/list/a/x', '/t/lisu', '/t/lis']) await kv.put(k, k);
      assert.deepEqual((await kv.list('/t/list/')).map((e) => e.key), ['/t/list/a', '/t/list/a/x', '/t/list/b']);
      assert.deepEqual((await kv.list('/t/none/')).length, 0);
    });

    test('delete() removes a key and tells whether there was one', async () => {
      const { kv } = await setup();
      await kv.put('/t/del/a', '1');
      assert.equal(await kv.delete('/t/del/a'), true);
      assert.equal(await kv.delete('/t/del/a'), false);
      assert.equal(await kv.get('/t/del/a'), undefined);
    });

    test('put() refuses keys inside the v3 resource tree and contradictory options', async () => {
      const { kv } = await setup();
      await assert.rejects(kv.put('/calico/resources/v3/projectcalico.org/ippools/x', '{}'), TypeError);
      await assert.rejects(kv.put('', 'x'), TypeError);
      const lease = await kv.grantLease(30);
      await assert.rejects(kv.put('/t/opt', 'x', { ttlSeconds: 5, lease }), TypeError);
      await assert.rejects(kv.grantLease(0), RangeError);
      await assert.rejects(kv.grantLease(1.5), RangeError);
      await lease.revoke();
    });

    test('put() with ttlSeconds attaches a lease; the key goes when it expires', async () => {
      const h = await setup();
      await h.kv.put('/t/ttl/a', 'x', { ttlSeconds: 1 });
      const got = await h.kv.get('/t/ttl/a');
      assert.ok(got?.lease, 'the key carries a lease');
      await h.advance(3);
      assert.equal(await h.kv.get('/t/ttl/a'), undefined);
    });

    test('a rewrite without a lease detaches the key from its old lease', async () => {
      const h = await setup();
      await h.kv.put('/t/ttl/b', 'x', { ttlSeconds: 1 });
      await h.kv.put('/t/ttl/b', 'y');
      await h.advance(3);
      assert.equal((await h.kv.get('/t/ttl/b'))?.value, 'y');
    });

    test('Lease.revoke() deletes its keys; keepAlive() then reports the lease gone', async () => {
      const { kv } = await setup();
      const lease = await kv.grantLease(60);
      await kv.put('/t/lease/a', '1', { lease });
      await kv.put('/t/lease/b', '2', { lease });
      assert.equal(await lease.keepAlive(), true);
      await lease.revoke();
      assert.deepEqual(await kv.list('/t/lease/'), []);
      assert.equal(await lease.keepAlive(), false);
      await lease.revoke(); // a dead lease revokes quietly
    });

    test('Lease.keepAlive() keeps keys past the original TTL', async () => {
      const h = await setup();
      const lease = await h.kv.grantLease(2);
      await h.kv.put('/t/keep/a', '1', { lease });
      for (let i = 0; i < 3; i++) {
        await h.advance(1);
        assert.equal(await lease.keepAlive(), true);
      }
      assert.equal((await h.kv.get('/t/keep/a'))?.value, '1');
      await lease.revoke();
    });
  });
}

runKeyValueConformance('MemoryKeyValueStore', async () => {
  let now = 1_000_000;
  const kv = new MemoryKeyValueStore({ now: () => now });
  return {
    kv,
    advance: async (s) => {
      now += s * 1000;
    },
  };
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
  return { kv, advance: (s) => delay(s * 1000) };
});

test('EtcdStore.keyValues() reports an unreachable etcd as DATASTORE_UNAVAILABLE', async () => {
  const dead = new EtcdStore({ endpoints: ['http://127.0.0.1:1'], dialTimeoutMs: 300 });
  try {
    await assert.rejects(dead.keyValues().put('/t/x', '1'), (err: Error & { code?: string }) => err.code === 'DATASTORE_UNAVAILABLE' && err.message.includes('127.0.0.1:1'));
  } finally {
    await dead.close();
  }
});
