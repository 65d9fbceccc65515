/**
 * Unit tests of the resync's compare-and-swap writer on the in-memory store (single CAS calls)
 * and with a batching store: per-op outcomes, conflicts as false, other errors rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '@percale/api';
import { MemoryStore, type Store } from '@percale/datastore';
import { casMany, forEachLimited, getIfExists, type BatchOutcome, type CasOp } from './cas-writer.ts';

const wep = (name: string): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata: { name, namespace: 'openstack' }, spec: { node: 'h' } });

describe('casMany()', () => {
  it('casMany() applies creates, updates and deletes and reports lost races as false', async () => {
    const store = new MemoryStore();
    const a = await store.create(wep('a'));
    const b = await store.create(wep('b'));
    await store.create(wep('exists'));
    const ops: CasOp[] = [
      { op: 'create', resource: wep('new') },
      { op: 'create', resource: wep('exists') },
      { op: 'update', resource: { ...a, spec: { node: 'h2' } } },
      { op: 'update', resource: { ...b, metadata: { ...b.metadata, resourceVersion: '1' } } },
      { op: 'delete', key: { kind: 'WorkloadEndpoint', namespace: 'openstack', name: 'gone' }, resourceVersion: '5' },
    ];
    assert.deepEqual(await casMany(store, ops, 2), [true, false, true, false, false]);
    assert.equal((await store.get({ kind: 'WorkloadEndpoint', namespace: 'openstack', name: 'a' })).spec!.node, 'h2');
  });

  it('casMany() sends ops in batches of 100 to a store that batches', async () => {
    const sizes: number[] = [];
    const store = {
      writeBatch: async (ops: readonly CasOp[]): Promise<BatchOutcome[]> => {
        sizes.push(ops.length);
        return ops.map((_, i) => (i === 0 ? { ok: false } : { ok: true, revision: '9' }));
      },
    } as unknown as Store;
    const ops = Array.from({ length: 250 }, (_, i): CasOp => ({ op: 'create', resource: wep(`w${i}`) }));
    const applied = await casMany(store, ops);
    assert.deepEqual(sizes.sort((x, y) => y - x), [100, 100, 50]);
    assert.equal(applied.filter((x) => !x).length, 3);
    assert.deepEqual([applied[0], applied[100], applied[200], applied[1]], [false, false, false, true]);
  });

  it('casMany() rejects on errors other than lost races', async () => {
    const store = new MemoryStore();
    store.create = () => Promise.reject(Object.assign(new Error('etcd is down'), { code: 'DATASTORE_UNAVAILABLE' }));
    await assert.rejects(casMany(store, [{ op: 'create', resource: wep('x') }]), /etcd is down/);
  });
});

describe('getIfExists()', () => {
  it('getIfExists() resolves the stored resource, undefined for a missing key, and rejects on other errors', async () => {
    const store = new MemoryStore();
    const stored = await store.create(wep('a'));
    const key = (name: string) => ({ kind: 'WorkloadEndpoint', namespace: 'openstack', name });
    assert.equal((await getIfExists(store, key('a')))?.metadata.resourceVersion, stored.metadata.resourceVersion);
    assert.equal(await getIfExists(store, key('missing')), undefined);
    store.get = () => Promise.reject(Object.assign(new Error('etcd is down'), { code: 'DATASTORE_UNAVAILABLE' }));
    await assert.rejects(getIfExists(store, key('a')), /etcd is down/);
  });
});

describe('forEachLimited()', () => {
  it('forEachLimited() never runs more than the limit at once', async () => {
    let running = 0;
    let max = 0;
    await forEachLimited(Array.from({ length: 20 }, (_, i) => i), 3, async () => {
      running++;
      max = Math.max(max, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
    });
    assert.equal(max, 3);
  });
});
