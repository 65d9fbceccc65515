/**
 * `EtcdStore.writeBatch()` against a real etcd (one private server for this file, data on
 * tmpfs): many conditional writes per transaction, with per-op outcomes when some fail.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Resource } from '@percale/api';
import { EtcdStore } from './etcd-store.ts';
import { startLocalEtcd, type LocalEtcd } from './local-server.ts';

let etcd: LocalEtcd | undefined;
let store: EtcdStore | undefined;

before(async () => {
  etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-test-${randomUUID()}`, removeDataOnStop: true });
  store = new EtcdStore({ endpoints: [etcd.endpoint], dialTimeoutMs: 5_000 });
});

after(async () => {
  await store?.close();
  await etcd?.stop();
});

const wep = (name: string, node = 'h1'): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'WorkloadEndpoint',
  metadata: { name, namespace: 'openstack' },
  spec: { node, orchestrator: 'openstack', endpoint: name, allowedIps: [] },
});

test('writeBatch() creates many resources in one go, with uid, creation time and unknown fields kept', async () => {
  const names = Array.from({ length: 250 }, (_, i) => `b1-${i}`);
  const outcomes = await store!.writeBatch(names.map((n) => ({ op: 'create', resource: wep(n) })));
  assert.equal(outcomes.length, 250);
  assert.ok(outcomes.every((o) => o.ok));
  const got = await store!.get({ kind: 'WorkloadEndpoint', namespace: 'openstack', name: 'b1-249' });
  assert.match(got.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.ok(got.metadata.creationTimestamp);
  assert.deepEqual(got.spec!.allowedIps, []);
});

test('writeBatch() reports each failed condition and still applies the other ops of its transaction', async () => {
  await store!.create(wep('b2-exists'));
  const a = await store!.create(wep('b2-a'));
  const b = await store!.create(wep('b2-b'));
  const c = await store!.create(wep('b2-c'));
  const outcomes = await store!.writeBatch([
    { op: 'create', resource: wep('b2-new') },
    { op: 'create', resource: wep('b2-exists') },
    { op: 'update', resource: { ...a, spec: { ...a.spec, node: 'h2' } } },
    { op: 'update', resource: { ...c, metadata: { ...c.metadata, resourceVersion: '1' } } },
    { op: 'delete', key: { kind: 'WorkloadEndpoint', namespace: 'openstack', name: 'b2-b' }, resourceVersion: b.metadata.resourceVersion! },
  ]);
  assert.deepEqual(outcomes.map((o) => o.ok), [true, false, true, false, true]);
  assert.equal((await store!.get({ kind: 'WorkloadEndpoint', namespace: 'openstack', name: 'b2-a' })).spec!.node, 'h2');
  await assert.rejects(store!.get({ kind: 'WorkloadEndpoint', namespace: 'openstack', name: 'b2-b' }), { code: 'DATASTORE_NOT_FOUND' });
});

test('writeBatch() refuses two ops on one key', async () => {
  await assert.rejects(store!.writeBatch([{ op: 'create', resource: wep('b3') }, { op: 'create', resource: wep('b3') }]), TypeError);
});
