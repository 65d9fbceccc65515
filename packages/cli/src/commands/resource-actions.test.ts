import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import type { Resource } from '@percale/api';
import { mergePatch } from './patch-command.ts';
import { mergeMetadataForUpdate, metadataForCreate, placeNamespace, refusal, runInOrder } from './resource-actions.ts';

const res = (kind: string, name: string, namespace?: string): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: namespace ? { name, namespace } : { name },
});

// calicoctl's namespace table: [resource namespace, -n, -A] → namespace used, or the error.
const namespaced: [string | undefined, string | undefined, boolean, string | Error][] = [
  [undefined, 'ns1', false, 'ns1'],
  ['ns1', undefined, true, ''],
  [undefined, undefined, true, ''],
  [undefined, undefined, false, 'default'],
  ['ns1', undefined, false, 'ns1'],
  ['ns1', 'ns1', false, 'ns1'],
  ['ns1', 'ns2', false, new Error('resource namespace does not match client namespace. ns1 != ns2')],
  [undefined, 'ns1', true, new Error('cannot use both --namespace and --all-namespaces flags at the same time')],
];

for (const [resNs, cliNs, all, expected] of namespaced) {
  test(`placeNamespace() for a namespaced kind: resource ${resNs ?? '-'}, -n ${cliNs ?? '-'}, -A ${all} → ${expected instanceof Error ? 'error' : JSON.stringify(expected)}`, () => {
    const run = () => placeNamespace(res('NetworkPolicy', 'p', resNs), { namespace: cliNs, allNamespaces: all });
    if (expected instanceof Error) assert.throws(run, { message: expected.message });
    else assert.equal(run().metadata.namespace ?? '', expected);
  });
}

test('placeNamespace() refuses namespaces for cluster kinds', () => {
  assert.throws(() => placeNamespace(res('IPPool', 'p', 'x'), {}), { message: 'namespace should not be specified for a non-namespaced resource. IPPool is not a namespaced resource' });
  assert.throws(() => placeNamespace(res('IPPool', 'p'), { namespace: 'x' }), { message: 'IPPool is not namespaced' });
  assert.throws(() => placeNamespace(res('IPPool', 'p'), { allNamespaces: true }), { message: 'IPPool is not namespaced' });
  assert.equal(placeNamespace(res('IPPool', 'p'), {}).metadata.namespace, undefined);
});

test('refusal() names the operation calicoctl refuses', () => {
  const knp = res('NetworkPolicy', 'knp.default.web', 'ns');
  const reason = 'kubernetes network policies must be managed through the kubernetes API';
  assert.equal(refusal(knp, 'create'), `operation create or apply is not supported on NetworkPolicy(ns/knp.default.web): ${reason}`);
  assert.equal(refusal(knp, 'apply'), `operation apply or replace is not supported on NetworkPolicy(ns/knp.default.web): ${reason}`);
  assert.equal(refusal(knp, 'delete'), `operation delete is not supported on NetworkPolicy(ns/knp.default.web): ${reason}`);
  assert.equal(refusal(res('ClusterInformation', 'default'), 'apply'), 'operation apply is not supported on ClusterInformation: resource is readonly');
  assert.equal(refusal(res('ClusterInformation', 'default'), 'replace'), 'operation apply or replace is not supported on ClusterInformation');
  assert.equal(refusal(res('NetworkPolicy', 'web', 'ns'), 'create'), undefined);
  assert.equal(refusal(res('GlobalNetworkPolicy', 'knp.default.x'), 'create'), undefined);
});

test('metadataForCreate() keeps only what a user may set', () => {
  const r = { ...res('GlobalNetworkPolicy', 'p'), metadata: { name: 'p', uid: 'u', creationTimestamp: 't', generation: 3, labels: { a: 'b' }, annotations: { c: 'd' }, resourceVersion: '7' } };
  assert.deepEqual(metadataForCreate(r).metadata, { name: 'p', resourceVersion: '7', labels: { a: 'b' }, annotations: { c: 'd' } });
});

test('mergeMetadataForUpdate() keeps stored metadata but takes labels and annotations from the input', () => {
  const stored = { ...res('GlobalNetworkPolicy', 'p'), metadata: { name: 'p', uid: 'u', resourceVersion: '9', creationTimestamp: 't', labels: { old: 'x' }, annotations: { keep: 'no' } } };
  const input = { ...res('GlobalNetworkPolicy', 'p'), metadata: { name: 'p', uid: 'other', labels: { new: 'y' } }, spec: { order: 1 } };
  assert.deepEqual(mergeMetadataForUpdate(stored, input), { ...input, metadata: { name: 'p', uid: 'u', resourceVersion: '9', creationTimestamp: 't', labels: { new: 'y' } } });
});

test('mergePatch() merges objects, replaces lists and removes null members (RFC 7386)', () => {
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3], f: 'x' }), { a: 1, b: { d: 3, e: 4 }, l: [3], f: 'x' });
  assert.deepEqual(mergePatch({ a: 1 }, { a: { b: 2 } }), { a: { b: 2 } });
});

test('runInOrder() overlaps independent items, serialises equal keys and isolates dependent items', async () => {
  const events: string[] = [];
  const items = [
    { id: 'a', key: 'k1', dep: false, ms: 30 },
    { id: 'b', key: 'k2', dep: false, ms: 5 },
    { id: 'c', key: 'k1', dep: false, ms: 5 }, // same key as a: starts after a ends
    { id: 'tier', key: 't', dep: true, ms: 5 }, // alone, after everything before it
    { id: 'd', key: 'k3', dep: false, ms: 5 },
  ];
  const results = await runInOrder(items, { independent: (i) => !i.dep, key: (i) => i.key, limit: 8 }, async (item) => {
    events.push(`start ${item.id}`);
    await delay(item.ms);
    events.push(`end ${item.id}`);
    if (item.id === 'b') throw new Error('b failed');
    return item.id;
  });
  assert.ok(events.indexOf('start b') < events.indexOf('end a'), 'b overlaps a');
  assert.ok(events.indexOf('start c') > events.indexOf('end a'), 'c waits for a (same key)');
  const tierStart = events.indexOf('start tier');
  assert.ok(['end a', 'end b', 'end c'].every((e) => events.indexOf(e) < tierStart), 'tier waits for everything before it');
  assert.ok(events.indexOf('start d') > events.indexOf('end tier'), 'd waits for tier');
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
});

test('runInOrder() keeps at most `limit` items in flight', async () => {
  let running = 0;
  let peak = 0;
  await runInOrder(Array.from({ length: 20 }, (_, i) => i), { independent: () => true, key: String, limit: 3 }, async () => {
    peak = Math.max(peak, ++running);
    await delay(2);
    running--;
  });
  assert.equal(peak, 3);
});
