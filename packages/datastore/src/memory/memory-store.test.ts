/**
 * MemoryStore against the Store conformance suite, plus what only an in-process store
 * can show (automatic history compaction).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCompacted } from '../errors.ts';
import { runStoreConformance } from '../testing/index.ts';
import { compareKeys } from './key-order.ts';
import { MemoryStore } from './memory-store.ts';

runStoreConformance({
  name: 'MemoryStore',
  newStore: async () => new MemoryStore(),
  putRaw: (store, key, value) => store.putRaw(key, value),
  getRaw: (store, key) => store.getRaw(key),
  compact: (store, revision) => store.compact(revision),
});

void test('MemoryStore() compacts its oldest history beyond historyLimit', async () => {
  const store = new MemoryStore({ historyLimit: 10 });
  try {
    // Revisions 2..21; at least the last 10 changes (revisions 12..21) are always kept.
    for (let i = 0; i < 20; i++) await store.apply({ apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: `pool-${i}` }, spec: {} });
    assert.equal((await store.list({ kind: 'IPPool' }, { revision: '12' })).items.length, 11);
    const err = await store.get({ kind: 'IPPool', name: 'pool-0' }, { revision: '2' }).catch((e: unknown) => e);
    assert.ok(isCompacted(err));
  } finally {
    await store.close();
  }
});

void test('compareKeys() orders keys by their UTF-8 bytes', () => {
  const keys = ['b', 'a/', 'a', '\u{1F600}', '\uFFFD', 'ab', 'a0'];
  const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual([...keys].sort(compareKeys), byBytes);
  assert.deepEqual(byBytes.slice(-2), ['\uFFFD', '\u{1F600}']);
});
