import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource, ResourceKey } from '@percale/api';
import { MemoryStore, type ListOptions, type Store } from '@percale/datastore';
import { TierCachingStore } from './tier-caching-store.ts';

/** A MemoryStore that counts reads. */
function counting(): { store: Store; reads: () => number } {
  const inner = new MemoryStore();
  let reads = 0;
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'get') return (key: ResourceKey, options?: ListOptions) => (reads++, target.get(key, options));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, reads: () => reads };
}

const tier = (name: string, order: number): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name }, spec: { order } });
const key = { kind: 'Tier', name: 't' };

test('TierCachingStore reads a Tier from the store once', async () => {
  const { store, reads } = counting();
  const cached = new TierCachingStore(store);
  await store.create(tier('t', 10));
  const [a, b] = await Promise.all([cached.get(key), cached.get(key)]);
  await cached.get(key);
  assert.equal(reads(), 1);
  assert.equal((a.spec as { order: number }).order, 10);
  (a.spec as { order: number }).order = 99;
  assert.equal((b.spec as { order: number }).order, 10, 'callers get their own copies');
});

test('TierCachingStore forgets a Tier this run updates or deletes, and never remembers absence', async () => {
  const { store, reads } = counting();
  const cached = new TierCachingStore(store);
  await assert.rejects(cached.get(key), { code: 'DATASTORE_NOT_FOUND' });
  await cached.create(tier('t', 10));
  const read = await cached.get(key);
  assert.equal((read.spec as { order: number }).order, 10);
  await cached.update({ ...read, spec: { order: 20 } });
  assert.equal(((await cached.get(key)).spec as { order: number }).order, 20);
  await cached.delete(key);
  await assert.rejects(cached.get(key), { code: 'DATASTORE_NOT_FOUND' });
  assert.equal(reads(), 4);
});

test('TierCachingStore passes other kinds straight through', async () => {
  const { store, reads } = counting();
  const cached = new TierCachingStore(store);
  await cached.create({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'p' }, spec: {} });
  await cached.get({ kind: 'GlobalNetworkPolicy', name: 'p' });
  await cached.get({ kind: 'GlobalNetworkPolicy', name: 'p' });
  assert.equal(reads(), 2);
});
