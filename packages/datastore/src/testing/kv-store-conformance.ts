/**
 * The `KeyValueStore` conformance suite: one set of node:test cases that every raw
 * key-value store must pass (`MemoryKeyValueStore` with a stepped clock, `EtcdStore.keyValues()`
 * against a real etcd with real lease expiry). Each test uses its own key prefix.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { isCompacted } from '../errors.ts';
import type { KeyValueEvent, KeyValueStore } from '../kv-store.ts';

/** How the suite drives one implementation. */
export interface KeyValueConformanceHarness {
  kv: KeyValueStore;
  /** Lets `seconds` pass for lease purposes (a stepped clock, or a real sleep). */
  advance(seconds: number): Promise<void>;
  /** Compacts history before `revision`; the compaction case is skipped without it. */
  compact?: (revision: string) => Promise<void>;
}

/** Records what a `KeyValueStore.watch()` delivers, with a deadline-bounded wait. */
class KeyValueWatchRecorder {
  readonly events: KeyValueEvent[] = [];
  readonly errors: Error[] = [];
  readonly #watch: { stop(): Promise<void> };

  constructor(kv: KeyValueStore, prefix: string, afterRevision: string) {
    this.#watch = kv.watch(prefix, {
      afterRevision,
      onEvent: (event) => this.events.push(event),
      onError: (error) => this.errors.push(error),
    });
  }

  /** Waits until `done()` holds, failing after `timeoutMs`. */
  async until(done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(this.events)}; errors: ${this.errors.map((e) => e.message).join('; ')}`);
      await delay(10);
    }
  }

  stop(): Promise<void> {
    return this.#watch.stop();
  }
}

/** `PUT key=value` / `DELETE key`, for compact assertions. */
function describeKeyValueEvent(event: KeyValueEvent): string {
  return event.type === 'PUT' ? `PUT ${event.entry.key}=${event.entry.value}` : `DELETE ${event.key}`;
}

/** Registers the suite under `describe(name)`; `setup` gives each test a fresh harness. */
export function runKeyValueConformance(name: string, setup: () => Promise<KeyValueConformanceHarness>): void {
  describe(`${name} (KeyValueStore)`, () => {
    const fresh = () => `/t/${randomUUID()}/`;

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

    test('leaseTimeToLive() reports the seconds left, and undefined once the lease is gone', async () => {
      const { kv } = await setup();
      const lease = await kv.grantLease(60);
      const ttl = await kv.leaseTimeToLive(lease.id);
      assert.ok(ttl !== undefined && ttl > 50 && ttl <= 60, `TTL ${ttl} should be just under 60`);
      await lease.revoke();
      assert.equal(await kv.leaseTimeToLive(lease.id), undefined);
    });

    test('putIf() with modRevision "0" creates only a missing key', async () => {
      const { kv } = await setup();
      const key = `${fresh()}election`;
      const rev = await kv.putIf(key, 'a:1', { modRevision: '0' });
      assert.ok(rev, 'the create succeeds');
      assert.equal(await kv.putIf(key, 'b:2', { modRevision: '0' }), undefined);
      assert.deepEqual(await kv.get(key), { key, value: 'a:1', modRevision: rev });
    });

    test('putIf() with a mod revision writes only over that exact revision', async () => {
      const { kv } = await setup();
      const key = `${fresh()}k`;
      const first = await kv.put(key, '1');
      const second = await kv.putIf(key, '2', { modRevision: first });
      assert.ok(second && BigInt(second) > BigInt(first));
      assert.equal(await kv.putIf(key, '3', { modRevision: first }), undefined, 'a stale revision fails');
      assert.equal((await kv.get(key))?.value, '2');
      assert.equal(await kv.putIf(`${key}-missing`, 'x', { modRevision: first }), undefined, 'a missing key has no such revision');
    });

    test('putIf() with a value writes only when the key holds exactly that value', async () => {
      const h = await setup();
      const key = `${fresh()}k`;
      assert.equal(await h.kv.putIf(key, 'x', { value: '' }), undefined, 'a missing key never matches a value, not even ""');
      await h.kv.put(key, 'me:1');
      assert.equal(await h.kv.putIf(key, 'me:1', { value: 'other:2' }), undefined);
      const lease = await h.kv.grantLease(60);
      const rev = await h.kv.putIf(key, 'me:1', { value: 'me:1' }, { lease });
      assert.ok(rev);
      assert.deepEqual(await h.kv.get(key), { key, value: 'me:1', modRevision: rev, lease: lease.id });
      await lease.revoke();
      assert.equal(await h.kv.get(key), undefined, 'the CAS write attached the lease');
    });

    test('putIf() and deleteIf() reject malformed conditions and resource keys', async () => {
      const { kv } = await setup();
      await assert.rejects(kv.putIf('/t/c', 'x', { modRevision: 'abc' }), TypeError);
      await assert.rejects(kv.putIf('/t/c', 'x', { modRevision: '-1' }), TypeError);
      await assert.rejects(kv.putIf('/t/c', 'x', {} as never), TypeError);
      await assert.rejects(kv.deleteIf('/t/c', { modRevision: '1.5' }), TypeError);
      await assert.rejects(kv.putIf('/calico/resources/v3/projectcalico.org/ippools/x', '{}', { modRevision: '0' }), TypeError);
    });

    test('deleteIf() deletes only when the value or mod revision matches', async () => {
      const { kv } = await setup();
      const key = `${fresh()}k`;
      const rev = await kv.put(key, 'host-a:42');
      assert.equal(await kv.deleteIf(key, { value: 'host-b:42' }), false);
      assert.equal(await kv.deleteIf(key, { modRevision: String(BigInt(rev) - 1n) }), false);
      assert.equal((await kv.get(key))?.value, 'host-a:42');
      assert.equal(await kv.deleteIf(key, { value: 'host-a:42' }), true);
      assert.equal(await kv.get(key), undefined);
      assert.equal(await kv.deleteIf(key, { value: 'host-a:42' }), false, 'nothing left to delete');
      const again = await kv.put(key, 'v');
      assert.equal(await kv.deleteIf(key, { modRevision: again }), true);
      assert.equal(await kv.deleteIf(key, { modRevision: '0' }), false, 'a missing key is not deleted again');
    });

    test('snapshot() returns the keys under a prefix with the revision of the read', async () => {
      const { kv } = await setup();
      const prefix = fresh();
      await kv.put(`${prefix}b`, '2');
      const last = await kv.put(`${prefix}a`, '1');
      await kv.put(`${prefix.slice(0, -1)}x`, 'outside');
      const snap = await kv.snapshot(prefix);
      assert.deepEqual(snap.entries.map((e) => `${e.key.slice(prefix.length)}=${e.value}`), ['a=1', 'b=2']);
      assert.ok(BigInt(snap.revision) >= BigInt(last) + 1n, `snapshot revision ${snap.revision} includes the later write outside the prefix`);
    });

    test('watch() delivers puts and deletes after the revision, in order, for the prefix only', async () => {
      const { kv } = await setup();
      const prefix = fresh();
      await kv.put(`${prefix}before`, 'old');
      const { revision } = await kv.snapshot(prefix);
      const rec = new KeyValueWatchRecorder(kv, prefix, revision);
      try {
        const r1 = await kv.put(`${prefix}a`, '1');
        await kv.put(`${prefix.slice(0, -1)}-other`, 'not watched');
        await kv.put(`${prefix}a`, '2');
        await kv.delete(`${prefix}before`);
        await rec.until(() => rec.events.length >= 3, 'three events');
        assert.deepEqual(
          rec.events.map((e) => describeKeyValueEvent(e).replace(prefix, '')),
          ['PUT a=1', 'PUT a=2', 'DELETE before'],
        );
        const first = rec.events[0]!;
        assert.ok(first.type === 'PUT' && first.entry.modRevision === r1);
        const del = rec.events[2]!;
        assert.ok(del.type === 'DELETE' && BigInt(del.modRevision) > BigInt(r1));
        assert.deepEqual(rec.errors, []);
      } finally {
        await rec.stop();
      }
    });

    test('watch() replays history after an older revision, excluding that revision', async () => {
      const { kv } = await setup();
      const prefix = fresh();
      const r1 = await kv.put(`${prefix}k`, '1');
      await kv.put(`${prefix}k`, '2');
      await kv.put(`${prefix}k`, '3');
      const rec = new KeyValueWatchRecorder(kv, prefix, r1);
      try {
        await rec.until(() => rec.events.length >= 2, 'two replayed events');
        await delay(100);
        assert.deepEqual(rec.events.map(describeKeyValueEvent).map((d) => d.replace(prefix, '')), ['PUT k=2', 'PUT k=3']);
      } finally {
        await rec.stop();
      }
    });

    test('watch() reports lease expiry as a DELETE', async () => {
      const h = await setup();
      const prefix = fresh();
      const { revision } = await h.kv.snapshot(prefix);
      const rec = new KeyValueWatchRecorder(h.kv, prefix, revision);
      try {
        await h.kv.put(`${prefix}status`, '{}', { ttlSeconds: 1 });
        await h.advance(3);
        await rec.until(() => rec.events.length >= 2, 'the put and the expiry', 10_000);
        assert.deepEqual(rec.events.map(describeKeyValueEvent).map((d) => d.replace(prefix, '')), ['PUT status={}', 'DELETE status']);
      } finally {
        await rec.stop();
      }
    });

    test('watch() delivers nothing once stop() has resolved', async () => {
      const { kv } = await setup();
      const prefix = fresh();
      const { revision } = await kv.snapshot(prefix);
      const rec = new KeyValueWatchRecorder(kv, prefix, revision);
      await kv.put(`${prefix}a`, '1');
      await rec.until(() => rec.events.length === 1, 'the first event');
      await rec.stop();
      await kv.put(`${prefix}a`, '2');
      await delay(200);
      assert.equal(rec.events.length, 1);
      assert.deepEqual(rec.errors, []);
    });

    test('watch() from a compacted revision ends with CompactedError through onError', async (t) => {
      const h = await setup();
      if (!h.compact) {
        t.skip('this store cannot compact');
        return;
      }
      const prefix = fresh();
      const r1 = await h.kv.put(`${prefix}a`, '1');
      await h.kv.put(`${prefix}a`, '2');
      const r3 = await h.kv.put(`${prefix}a`, '3');
      await h.compact(r3);
      const rec = new KeyValueWatchRecorder(h.kv, prefix, r1);
      try {
        await rec.until(() => rec.errors.length > 0, 'the compaction error');
        assert.ok(isCompacted(rec.errors[0]), `got ${rec.errors[0]?.message}`);
        assert.deepEqual(rec.events, []);
      } finally {
        await rec.stop();
      }
    });

    test('watch() rejects a malformed afterRevision', async () => {
      const { kv } = await setup();
      assert.throws(() => kv.watch('/t/', { afterRevision: 'x', onEvent: () => undefined, onError: () => undefined }), TypeError);
    });
  });
}
