/**
 * The `Store` conformance suite: one set of node:test cases that every Store
 * implementation must pass (MemoryStore in-process, EtcdStore against a real etcd).
 * Each implementation's test file calls `runStoreConformance` and adds only what is
 * specific to it.
 * @module
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { isValidationError, type Resource } from '@percale/api';
import {
  isAlreadyExists,
  isCompacted,
  isNotFound,
  isRevisionConflict,
  type AlreadyExistsError,
  type CorruptEntryError,
  type RevisionConflictError,
} from '../errors.ts';
import { RESOURCE_PREFIX } from '../keys.ts';
import type { Store, WatchEvent } from '../store.ts';
import { WatchRecorder } from './watch-recorder.ts';

/** How the suite drives one Store implementation. */
export interface StoreConformanceOptions<S extends Store> {
  /** Names the implementation in test titles. */
  name: string;
  /** A store over an empty datastore (each test gets its own and closes it). */
  newStore: () => Promise<S>;
  /** Writes raw bytes at a storage key, bypassing the codec (legacy and corrupt data). */
  putRaw: (store: S, key: string, value: string) => Promise<void>;
  /** Reads the raw bytes at a storage key. */
  getRaw: (store: S, key: string) => Promise<string | undefined>;
  /** Compacts history before `revision`; the compaction tests are skipped without it. */
  compact?: (store: S, revision: string) => Promise<void>;
}

const NS = 'openstack-region-regionone';
const NS2 = 'openstack-region-regiontwo';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function ipPool(name: string, cidr = '10.65.0.0/16'): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec: { cidr, ipipMode: 'Never' } };
}

function networkSet(namespace: string, name: string, nets: string[] = ['10.0.0.0/8']): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'NetworkSet', metadata: { name, namespace, labels: { role: 'db' } }, spec: { nets } };
}

function globalPolicy(name: string, tier = 'default'): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { tier, selector: 'all()', types: ['Ingress'] } };
}

function rev(r: string | undefined): bigint {
  assert.match(r ?? '', /^[1-9][0-9]*$/, `expected a revision, got ${JSON.stringify(r)}`);
  return BigInt(r!);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

/** Registers the conformance tests for one Store implementation. */
export function runStoreConformance<S extends Store>(options: StoreConformanceOptions<S>): void {
  const { newStore, putRaw, getRaw, compact } = options;

  async function withStore(fn: (store: S) => Promise<void>): Promise<void> {
    const store = await newStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  /** Runs a watch for the duration of `fn`, stopping it afterwards even on failure. */
  async function watching(store: S, query: Parameters<Store['watch']>[0], revision: string | undefined, fn: (w: WatchRecorder) => Promise<void>): Promise<void> {
    const w = new WatchRecorder(store, query, revision);
    try {
      await fn(w);
    } finally {
      await w.stop();
    }
  }

  void describe(`Store conformance: ${options.name}`, { timeout: 60_000 }, () => {
    void describe('create, get, update, apply and delete', () => {
      void test('create() stores a cluster-scoped resource and get() reads back the same object', () =>
        withStore(async (store) => {
          const created = await store.create(ipPool('pool-1'));
          assert.equal(created.kind, 'IPPool');
          assert.equal(created.apiVersion, 'projectcalico.org/v3');
          assert.equal(created.metadata.name, 'pool-1');
          assert.match(created.metadata.uid ?? '', UUID);
          assert.match(created.metadata.creationTimestamp ?? '', TIMESTAMP);
          rev(created.metadata.resourceVersion);
          assert.deepEqual(created.spec, { cidr: '10.65.0.0/16', ipipMode: 'Never' });
          assert.deepEqual(await store.get({ kind: 'IPPool', name: 'pool-1' }), created);
        }));

      void test('create() stores a namespaced resource under its namespace only', () =>
        withStore(async (store) => {
          const created = await store.create(networkSet(NS, 'db'));
          assert.equal(created.metadata.namespace, NS);
          assert.deepEqual(await store.get({ kind: 'NetworkSet', namespace: NS, name: 'db' }), created);
          assert.ok(isNotFound(await rejection(store.get({ kind: 'NetworkSet', namespace: NS2, name: 'db' }))));
        }));

      void test('create() keeps a given uid and creationTimestamp and never stores resourceVersion or selfLink', () =>
        withStore(async (store) => {
          const res = ipPool('pool-1');
          res.metadata = { ...res.metadata, uid: 'c0ffee00-0000-4000-8000-000000000001', creationTimestamp: '2024-05-01T12:00:00Z', selfLink: '/apis/x' };
          const created = await store.create(res);
          assert.equal(created.metadata.uid, 'c0ffee00-0000-4000-8000-000000000001');
          assert.equal(created.metadata.creationTimestamp, '2024-05-01T12:00:00Z');
          assert.equal(created.metadata.selfLink, undefined);
          const raw = await getRaw(store, `${RESOURCE_PREFIX}ippools/pool-1`);
          assert.equal(raw, '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-1","uid":"c0ffee00-0000-4000-8000-000000000001","creationTimestamp":"2024-05-01T12:00:00Z"},"spec":{"cidr":"10.65.0.0/16","ipipMode":"Never"}}');
        }));

      void test('create() writes a NetworkPolicy at Calico\'s key with Calico\'s bytes, name annotation included', () =>
        withStore(async (store) => {
          const policy: Resource = {
            apiVersion: 'projectcalico.org/v3',
            kind: 'NetworkPolicy',
            metadata: { name: 'allow-ssh', namespace: NS, uid: '0b5b6a3e-8d2c-4c55-9d0e-3f1f2a4b5c6d', creationTimestamp: '2026-01-02T03:04:05Z', labels: { 'projectcalico.org/tier': 'default' } },
            spec: { tier: 'default', order: 100, ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [22] } }], selector: 'has(role)', types: ['Ingress'] },
          };
          const created = await store.create(policy);
          const raw = await getRaw(store, `/calico/resources/v3/projectcalico.org/networkpolicies/${NS}/allow-ssh`);
          assert.equal(
            raw,
            `{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"allow-ssh","namespace":"${NS}","uid":"0b5b6a3e-8d2c-4c55-9d0e-3f1f2a4b5c6d","creationTimestamp":"2026-01-02T03:04:05Z","labels":{"projectcalico.org/tier":"default"},"annotations":{"projectcalico.org/metadata":"{\\"name\\":\\"allow-ssh\\"}"}},"spec":{"tier":"default","order":100,"ingress":[{"action":"Allow","protocol":"TCP","destination":{"ports":[22]}}],"selector":"has(role)","types":["Ingress"]}}`,
          );
          // The annotation is storage detail: readers never see it.
          assert.equal(created.metadata.annotations, undefined);
          assert.equal(created.metadata.name, 'allow-ssh');
          assert.deepEqual(policy.metadata.annotations, undefined, 'the caller\'s object is not modified');
        }));

      void test('create() fails with AlreadyExistsError carrying the stored object when the key exists', () =>
        withStore(async (store) => {
          const first = await store.create(ipPool('pool-1'));
          const err = await rejection(store.create(ipPool('pool-1', '10.99.0.0/16')));
          assert.ok(isAlreadyExists(err), err.message);
          assert.equal(err.message, 'resource already exists: IPPool(pool-1) with error: <nil>');
          assert.deepEqual((err as AlreadyExistsError).existing, first);
          assert.deepEqual(await store.get({ kind: 'IPPool', name: 'pool-1' }), first);
        }));

      void test('update() replaces a resource still at its resourceVersion and keeps uid and creationTimestamp', () =>
        withStore(async (store) => {
          const created = await store.create(networkSet(NS, 'db'));
          const updated = await store.update({ ...created, spec: { nets: ['192.168.0.0/16'] } });
          assert.ok(rev(updated.metadata.resourceVersion) > rev(created.metadata.resourceVersion));
          assert.equal(updated.metadata.uid, created.metadata.uid);
          assert.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
          assert.deepEqual(updated.spec, { nets: ['192.168.0.0/16'] });
          assert.deepEqual(await store.get({ kind: 'NetworkSet', namespace: NS, name: 'db' }), updated);
        }));

      void test('update() with a stale resourceVersion fails with RevisionConflictError and changes nothing', () =>
        withStore(async (store) => {
          const created = await store.create(ipPool('pool-1'));
          const current = await store.update({ ...created, spec: { cidr: '10.66.0.0/16' } });
          const err = await rejection(store.update({ ...created, spec: { cidr: '10.67.0.0/16' } }));
          assert.ok(isRevisionConflict(err), err.message);
          assert.equal(err.message, 'update conflict: IPPool(pool-1)');
          assert.deepEqual((err as RevisionConflictError).current, current);
          assert.deepEqual(await store.get({ kind: 'IPPool', name: 'pool-1' }), current);
        }));

      void test('update() of a resource that does not exist fails with NotFoundError', () =>
        withStore(async (store) => {
          const created = await store.create(networkSet(NS, 'db'));
          await store.delete({ kind: 'NetworkSet', namespace: NS, name: 'db' });
          const err = await rejection(store.update(created));
          assert.ok(isNotFound(err), err.message);
          assert.equal(err.message, `resource does not exist: NetworkSet(${NS}/db) with error: <nil>`);
        }));

      void test('update() rejects a resource without resourceVersion, uid or creationTimestamp', () =>
        withStore(async (store) => {
          const created = await store.create(ipPool('pool-1'));
          const cases: [string, Resource['metadata']][] = [
            ['Metadata.ResourceVersion', { ...created.metadata, resourceVersion: '' }],
            ['Metadata.ResourceVersion', { ...created.metadata, resourceVersion: 'abc' }],
            ['Metadata.UID', { ...created.metadata, uid: '' }],
            ['Metadata.CreationTimestamp', { ...created.metadata, creationTimestamp: undefined }],
          ];
          for (const [field, metadata] of cases) {
            const err = await rejection(store.update({ ...created, metadata }));
            assert.ok(isValidationError(err), `${field}: ${err.message}`);
            assert.match(err.message, new RegExp(field.replace('.', '\\.')));
          }
          assert.deepEqual(await store.get({ kind: 'IPPool', name: 'pool-1' }), created);
        }));

      void test('apply() creates a missing resource and overwrites an existing one, keeping its uid and creationTimestamp', () =>
        withStore(async (store) => {
          const first = await store.apply(ipPool('pool-1'));
          assert.match(first.metadata.uid ?? '', UUID);
          assert.match(first.metadata.creationTimestamp ?? '', TIMESTAMP);
          // No resourceVersion, uid or creationTimestamp: apply is unconditional.
          const second = await store.apply(ipPool('pool-1', '10.70.0.0/16'));
          assert.ok(rev(second.metadata.resourceVersion) > rev(first.metadata.resourceVersion));
          assert.equal(second.metadata.uid, first.metadata.uid);
          assert.equal(second.metadata.creationTimestamp, first.metadata.creationTimestamp);
          assert.deepEqual(second.spec, { cidr: '10.70.0.0/16', ipipMode: 'Never' });
          // A stale resourceVersion does not stop apply either.
          const third = await store.apply({ ...ipPool('pool-1', '10.71.0.0/16'), metadata: { name: 'pool-1', resourceVersion: first.metadata.resourceVersion! } });
          assert.deepEqual(await store.get({ kind: 'IPPool', name: 'pool-1' }), third);
          assert.equal(third.metadata.uid, first.metadata.uid);
        }));

      void test('delete() returns the deleted object at its last resourceVersion', () =>
        withStore(async (store) => {
          const created = await store.create(networkSet(NS, 'db'));
          const deleted = await store.delete({ kind: 'NetworkSet', namespace: NS, name: 'db' });
          assert.deepEqual(deleted, created);
          assert.ok(isNotFound(await rejection(store.get({ kind: 'NetworkSet', namespace: NS, name: 'db' }))));
          const again = await rejection(store.delete({ kind: 'NetworkSet', namespace: NS, name: 'db' }));
          assert.ok(isNotFound(again), again.message);
        }));

      void test('delete() with a resourceVersion deletes only a resource still at that revision', () =>
        withStore(async (store) => {
          const created = await store.create(ipPool('pool-1'));
          const updated = await store.update({ ...created, spec: { cidr: '10.66.0.0/16' } });
          const err = await rejection(store.delete({ kind: 'IPPool', name: 'pool-1' }, { resourceVersion: created.metadata.resourceVersion! }));
          assert.ok(isRevisionConflict(err), err.message);
          assert.deepEqual((err as RevisionConflictError).current, updated);
          assert.deepEqual(await store.get({ kind: 'IPPool', name: 'pool-1' }), updated);
          assert.deepEqual(await store.delete({ kind: 'IPPool', name: 'pool-1' }, { resourceVersion: updated.metadata.resourceVersion! }), updated);
          const gone = await rejection(store.delete({ kind: 'IPPool', name: 'pool-1' }, { resourceVersion: updated.metadata.resourceVersion! }));
          assert.ok(isNotFound(gone), gone.message);
        }));

      void test('get() and create() return the caller\'s own objects: changing one does not change the store', () =>
        withStore(async (store) => {
          const created = await store.create(networkSet(NS, 'db'));
          created.metadata.labels!.role = 'changed';
          (created.spec as { nets: string[] }).nets.push('1.2.3.4/32');
          const read = await store.get({ kind: 'NetworkSet', namespace: NS, name: 'db' });
          assert.deepEqual(read.metadata.labels, { role: 'db' });
          assert.deepEqual(read.spec, { nets: ['10.0.0.0/8'] });
        }));
    });

    void describe('list and revisions', () => {
      void test('list() of a namespaced kind covers one namespace or all of them, in key order', () =>
        withStore(async (store) => {
          await store.create(networkSet(NS2, 'b'));
          await store.create(networkSet(NS, 'b'));
          await store.create(networkSet(NS, 'a'));
          const one = await store.list({ kind: 'NetworkSet', namespace: NS });
          assert.deepEqual(one.items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`), [`${NS}/a`, `${NS}/b`]);
          const all = await store.list({ kind: 'NetworkSet' });
          assert.deepEqual(all.items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`), [`${NS}/a`, `${NS}/b`, `${NS2}/b`]);
          assert.deepEqual((await store.list({ kind: 'NetworkSet', namespace: 'nowhere' })).items, []);
        }));

      void test('list() by exact name and by name prefix', () =>
        withStore(async (store) => {
          for (const name of ['pool-1', 'pool-10', 'pool-2', 'other']) await store.create(ipPool(name));
          const names = async (q: Parameters<Store['list']>[0]) => (await store.list(q)).items.map((r) => r.metadata.name);
          assert.deepEqual(await names({ kind: 'IPPool', name: 'pool-1' }), ['pool-1']);
          assert.deepEqual(await names({ kind: 'IPPool', name: 'pool-1', namePrefix: true }), ['pool-1', 'pool-10']);
          assert.deepEqual(await names({ kind: 'IPPool', name: 'pool', namePrefix: true }), ['pool-1', 'pool-10', 'pool-2']);
          assert.deepEqual(await names({ kind: 'IPPool', name: 'missing' }), []);
          await store.create(networkSet(NS, 'web-1'));
          await store.create(networkSet(NS2, 'web-2'));
          assert.deepEqual(await names({ kind: 'NetworkSet', namespace: NS, name: 'web', namePrefix: true }), ['web-1']);
          assert.deepEqual(await names({ kind: 'NetworkSet', namespace: NS2, name: 'web-2' }), ['web-2']);
        }));

      void test('list() of a kind ignores keys of a longer plural and keys that are not resources', () =>
        withStore(async (store) => {
          await store.create(ipPool('pool-1'));
          await putRaw(store, `${RESOURCE_PREFIX}ippoolsfoo/pool-2`, JSON.stringify(ipPool('pool-2')));
          await putRaw(store, `${RESOURCE_PREFIX}ippools/pool-3/extra`, JSON.stringify(ipPool('pool-3')));
          await putRaw(store, `${RESOURCE_PREFIX}unknownkinds/x`, '{"kind":"Unknown","metadata":{"name":"x"}}');
          assert.deepEqual((await store.list({ kind: 'IPPool' })).items.map((r) => r.metadata.name), ['pool-1']);
          assert.deepEqual((await store.list({ kind: 'IPPool', name: 'pool', namePrefix: true })).items.map((r) => r.metadata.name), ['pool-1']);
          assert.deepEqual((await store.list({})).items.map((r) => `${r.kind}/${r.metadata.name}`), ['IPPool/pool-1']);
        }));

      void test('list() without a kind returns every kind, ordered by key', () =>
        withStore(async (store) => {
          await store.create(networkSet(NS, 'db'));
          await store.create(ipPool('pool-1'));
          await store.create(globalPolicy('deny-all'));
          const all = await store.list({});
          assert.deepEqual(all.items.map((r) => `${r.kind}/${r.metadata.name}`), ['GlobalNetworkPolicy/deny-all', 'IPPool/pool-1', 'NetworkSet/db']);
        }));

      void test('list() reports the revision it read at; every write advances it and stamps its resourceVersion', () =>
        withStore(async (store) => {
          const empty = await store.list({ kind: 'IPPool' });
          assert.deepEqual(empty.items, []);
          const start = rev(empty.revision);
          const a = await store.create(ipPool('pool-a'));
          const b = await store.create(ipPool('pool-b'));
          assert.equal(rev(a.metadata.resourceVersion), start + 1n);
          assert.equal(rev(b.metadata.resourceVersion), start + 2n);
          const listed = await store.list({ kind: 'IPPool' });
          assert.equal(listed.revision, b.metadata.resourceVersion);
          assert.deepEqual(listed.items, [a, b]);
          // The revision is global: a write to another kind moves it too, not the items.
          const other = await store.create(networkSet(NS, 'db'));
          const again = await store.list({ kind: 'IPPool' });
          assert.equal(again.revision, other.metadata.resourceVersion);
          assert.deepEqual(again.items, [a, b]);
        }));

      void test('get() and list() read as of an earlier revision', () =>
        withStore(async (store) => {
          const v1 = await store.create(ipPool('pool-1', '10.1.0.0/16'));
          const v2 = await store.update({ ...v1, spec: { cidr: '10.2.0.0/16' } });
          const other = await store.create(ipPool('pool-2'));
          const deleted = await store.delete({ kind: 'IPPool', name: 'pool-1' });
          const afterDelete = (await store.list({ kind: 'IPPool' })).revision;
          const key = { kind: 'IPPool', name: 'pool-1' };
          assert.deepEqual(await store.get(key, { revision: v1.metadata.resourceVersion! }), v1);
          assert.deepEqual(await store.get(key, { revision: v2.metadata.resourceVersion! }), v2);
          assert.deepEqual(await store.get(key, { revision: other.metadata.resourceVersion! }), v2);
          assert.ok(isNotFound(await rejection(store.get(key, { revision: afterDelete }))));
          assert.deepEqual(deleted, v2);
          const atV1 = await store.list({ kind: 'IPPool' }, { revision: v1.metadata.resourceVersion! });
          assert.deepEqual(atV1, { items: [v1], revision: v1.metadata.resourceVersion });
          const atOther = await store.list({ kind: 'IPPool' }, { revision: other.metadata.resourceVersion! });
          assert.deepEqual(atOther.items, [v2, other]);
          assert.deepEqual((await store.list({ kind: 'IPPool' }, { revision: afterDelete })).items, [other]);
        }));
    });

    void describe('policy names', () => {
      const npKey = (name: string) => `/calico/resources/v3/projectcalico.org/networkpolicies/${NS}/${name}`;
      const legacy = (name: string, tier: string | undefined, annotations?: Record<string, string>) =>
        JSON.stringify({
          kind: 'NetworkPolicy',
          apiVersion: 'projectcalico.org/v3',
          metadata: { name, namespace: NS, uid: 'a0a0a0a0-0000-4000-8000-000000000000', creationTimestamp: '2024-01-01T00:00:00Z', ...(annotations && { annotations }) },
          spec: { ...(tier !== undefined && { tier }), selector: 'all()', ingress: [{ action: 'Allow', source: {}, destination: {} }] },
        });

      void test('list() reads a pre-v3.30 default-tier entry stored as default.foo as foo', () =>
        withStore(async (store) => {
          await putRaw(store, npKey('default.foo'), legacy('default.foo', 'default'));
          await putRaw(store, npKey('default.bar'), legacy('default.bar', undefined));
          const items = (await store.list({ kind: 'NetworkPolicy', namespace: NS })).items;
          assert.deepEqual(items.map((r) => r.metadata.name), ['bar', 'foo']);
          // Older writers' `source: {}` and missing `types` are read as they are.
          assert.deepEqual(items[1]!.spec, { tier: 'default', selector: 'all()', ingress: [{ action: 'Allow', source: {}, destination: {} }] });
          // The storage key still says default.foo: a get of "foo" misses until migrated.
          assert.ok(isNotFound(await rejection(store.get({ kind: 'NetworkPolicy', namespace: NS, name: 'foo' }))));
          assert.equal((await store.get({ kind: 'NetworkPolicy', namespace: NS, name: 'default.foo' })).metadata.name, 'foo');
        }));

      void test('list() keeps the tier prefix of a policy outside the default tier', () =>
        withStore(async (store) => {
          await putRaw(store, npKey('mytier.bar'), legacy('mytier.bar', 'mytier'));
          assert.deepEqual((await store.list({ kind: 'NetworkPolicy' })).items.map((r) => r.metadata.name), ['mytier.bar']);
        }));

      void test('get() takes the name from the projectcalico.org/metadata annotation and removes only that annotation', () =>
        withStore(async (store) => {
          await putRaw(store, npKey('default.baz'), legacy('default.baz', 'default', { 'projectcalico.org/metadata': '{"name":"baz"}', owner: 'team-a' }));
          const read = await store.get({ kind: 'NetworkPolicy', namespace: NS, name: 'default.baz' });
          assert.equal(read.metadata.name, 'baz');
          assert.deepEqual(read.metadata.annotations, { owner: 'team-a' });
        }));

      void test('create() of a default-tier policy really named default.x reads back as default.x', () =>
        withStore(async (store) => {
          const created = await store.create(globalPolicy('default.x'));
          assert.equal(created.metadata.name, 'default.x');
          assert.equal((await store.get({ kind: 'GlobalNetworkPolicy', name: 'default.x' })).metadata.name, 'default.x');
          const raw = JSON.parse((await getRaw(store, `${RESOURCE_PREFIX}globalnetworkpolicies/default.x`))!);
          assert.deepEqual(raw.metadata.annotations, { 'projectcalico.org/metadata': '{"name":"default.x"}' });
        }));

      void test('get() reports a policy whose name annotation is not JSON as a corrupt entry; list() skips it', () =>
        withStore(async (store) => {
          const value = legacy('bad', 'default', { 'projectcalico.org/metadata': '{name' });
          await putRaw(store, npKey('bad'), value);
          await store.create({ ...globalPolicy('ok'), kind: 'NetworkPolicy', metadata: { name: 'ok', namespace: NS }, spec: { selector: 'all()' } });
          const err = await rejection(store.get({ kind: 'NetworkPolicy', namespace: NS, name: 'bad' }));
          assert.equal((err as CorruptEntryError).code, 'DATASTORE_CORRUPT_ENTRY');
          assert.match(err.message, /projectcalico\.org\/metadata/);
          assert.deepEqual((await store.list({ kind: 'NetworkPolicy' })).items.map((r) => r.metadata.name), ['ok']);
        }));
    });

    void describe('corrupt entries', () => {
      void test('list() skips unreadable values; get() reports them naming the key and the raw value', () =>
        withStore(async (store) => {
          await store.create(ipPool('pool-a'));
          await putRaw(store, `${RESOURCE_PREFIX}ippools/pool-b`, 'not json{');
          await putRaw(store, `${RESOURCE_PREFIX}ippools/pool-c`, '');
          await putRaw(store, `${RESOURCE_PREFIX}ippools/pool-d`, '[1,2]');
          await store.create(ipPool('pool-e'));
          assert.deepEqual((await store.list({ kind: 'IPPool' })).items.map((r) => r.metadata.name), ['pool-a', 'pool-e']);
          for (const [name, raw] of [['pool-b', 'not json{'], ['pool-c', ''], ['pool-d', '[1,2]']] as const) {
            const err = (await rejection(store.get({ kind: 'IPPool', name }))) as CorruptEntryError;
            assert.equal(err.code, 'DATASTORE_CORRUPT_ENTRY', err.message);
            assert.equal(err.storageKey, `${RESOURCE_PREFIX}ippools/${name}`);
            assert.equal(err.raw, raw);
            assert.ok(err.message.startsWith(`failed to parse datastore entry key=${RESOURCE_PREFIX}ippools/${name}; value=${raw}: `), err.message);
          }
        }));

      void test('delete() removes an unreadable entry and describes it by its key', () =>
        withStore(async (store) => {
          await putRaw(store, `${RESOURCE_PREFIX}networksets/${NS}/broken`, '{');
          const deleted = await store.delete({ kind: 'NetworkSet', namespace: NS, name: 'broken' });
          assert.equal(deleted.kind, 'NetworkSet');
          assert.equal(deleted.metadata.name, 'broken');
          assert.equal(deleted.metadata.namespace, NS);
          rev(deleted.metadata.resourceVersion);
          assert.equal(await getRaw(store, `${RESOURCE_PREFIX}networksets/${NS}/broken`), undefined);
        }));

      void test('watch() reports an unreadable value as an ERROR event and carries on', () =>
        withStore(async (store) => {
          await watching(store, { kind: 'IPPool' }, undefined, async (w) => {
            await w.whenSynced();
            await putRaw(store, `${RESOURCE_PREFIX}ippools/bad`, '{oops');
            await store.create(ipPool('good'));
            const events = await w.waitForEvents(2);
            assert.equal(events[0]!.type, 'ERROR');
            const error = (events[0] as Extract<WatchEvent, { type: 'ERROR' }>).error as CorruptEntryError;
            assert.equal(error.code, 'DATASTORE_CORRUPT_ENTRY');
            assert.equal(error.storageKey, `${RESOURCE_PREFIX}ippools/bad`);
            assert.deepEqual(w.summary().slice(1), ['ADDED IPPool/good']);
            assert.deepEqual(w.closed, []);
          });
        }));
    });

    void describe('watch', () => {
      void test('watch() without a revision delivers a snapshot, then onSynced, then live changes', () =>
        withStore(async (store) => {
          const a = await store.create(ipPool('pool-a'));
          await store.create(networkSet(NS, 'not-a-pool'));
          const b = await store.create(ipPool('pool-b'));
          await watching(store, { kind: 'IPPool' }, undefined, async (w) => {
            const synced = await w.whenSynced();
            assert.equal(synced, b.metadata.resourceVersion);
            assert.deepEqual(w.summary(), ['ADDED IPPool/pool-a', 'ADDED IPPool/pool-b']);
            assert.deepEqual(w.events[0], { type: 'ADDED', resource: a, revision: synced });
            const a2 = await store.update({ ...a, spec: { cidr: '10.9.0.0/16' } });
            const c = await store.create(ipPool('pool-c'));
            await store.create(networkSet(NS, 'ignored'));
            const removed = await store.delete({ kind: 'IPPool', name: 'pool-b' });
            const deleteRevision = (await store.list({})).revision;
            const events = await w.waitForEvents(5);
            assert.deepEqual(events.slice(2), [
              { type: 'MODIFIED', resource: a2, previous: a, revision: a2.metadata.resourceVersion },
              { type: 'ADDED', resource: c, revision: c.metadata.resourceVersion },
              { type: 'DELETED', previous: removed, key: { kind: 'IPPool', name: 'pool-b' }, revision: deleteRevision },
            ]);
            assert.deepEqual(w.synced, [synced]);
          });
        }));

      void test('watch() reports a deletion with the deleted object, its key and the delete revision', () =>
        withStore(async (store) => {
          const created = await store.create(networkSet(NS, 'db'));
          await watching(store, { kind: 'NetworkSet', namespace: NS }, created.metadata.resourceVersion, async (w) => {
            const deleted = await store.delete({ kind: 'NetworkSet', namespace: NS, name: 'db' });
            const after = await store.list({ kind: 'NetworkSet' });
            const [event] = await w.waitForEvents(1);
            assert.deepEqual(event, { type: 'DELETED', previous: deleted, key: { kind: 'NetworkSet', namespace: NS, name: 'db' }, revision: after.revision });
            assert.deepEqual(deleted, created);
          });
        }));

      void test('watch() from a revision resumes with no missed and no repeated events', () =>
        withStore(async (store) => {
          const start = (await store.list({})).revision;
          const first = new WatchRecorder(store, { kind: 'IPPool' }, start);
          const p1 = await store.create(ipPool('pool-1'));
          const p2 = await store.create(ipPool('pool-2'));
          await first.waitForEvents(2);
          await first.stop();
          assert.deepEqual(first.summary(), ['ADDED IPPool/pool-1', 'ADDED IPPool/pool-2']);
          // Changes made while nobody watches.
          const p1b = await store.update({ ...p1, spec: { cidr: '10.8.0.0/16' } });
          await store.delete({ kind: 'IPPool', name: 'pool-2' });
          await store.create(ipPool('pool-3'));
          const resumeFrom = first.events.at(-1)!.revision!;
          assert.equal(resumeFrom, p2.metadata.resourceVersion);
          await watching(store, { kind: 'IPPool' }, resumeFrom, async (second) => {
            await store.create(ipPool('pool-4'));
            await second.waitForEvents(4);
            await delay(50);
            assert.deepEqual(second.summary(), ['MODIFIED IPPool/pool-1', 'DELETED IPPool/pool-2', 'ADDED IPPool/pool-3', 'ADDED IPPool/pool-4']);
            assert.deepEqual((second.events[0] as Extract<WatchEvent, { type: 'MODIFIED' }>).resource, p1b);
            const revisions = [...first.events, ...second.events].map((e) => rev(e.revision));
            assert.deepEqual(revisions, [...revisions].sort((x, y) => (x < y ? -1 : 1)), 'revisions increase');
            assert.equal(new Set(revisions).size, revisions.length, 'no revision is delivered twice');
            assert.deepEqual(second.synced, [], 'a watch from a revision has no snapshot');
          });
        }));

      void test('watch() from a revision not reached yet delivers only the changes after it', () =>
        withStore(async (store) => {
          const now = rev((await store.list({})).revision);
          await watching(store, { kind: 'IPPool' }, String(now + 2n), async (w) => {
            await store.create(ipPool('pool-1'));
            await store.create(ipPool('pool-2'));
            await store.create(ipPool('pool-3'));
            await w.waitForEvents(1);
            await delay(50);
            assert.deepEqual(w.summary(), ['ADDED IPPool/pool-3']);
          });
        }));

      void test('watch() and get() reject a revision that is not a decimal revision (a watch may start after 0)', () =>
        withStore(async (store) => {
          for (const revision of ['abc', '-1', '1.5', '']) {
            assert.throws(() => store.watch({ kind: 'IPPool' }, { revision, onEvent: () => undefined }), isValidationError, revision);
          }
          for (const revision of ['abc', '-1', '1.5', '', '0']) {
            assert.ok(isValidationError(await rejection(store.get({ kind: 'IPPool', name: 'p' }, { revision }))), revision);
          }
        }));

      void test('watch() without a kind covers every kind and skips keys that are not resources', () =>
        withStore(async (store) => {
          await watching(store, {}, undefined, async (w) => {
            await w.whenSynced();
            await store.create(ipPool('pool-1'));
            await putRaw(store, `${RESOURCE_PREFIX}ippoolsfoo/x`, '{}');
            await putRaw(store, '/calico/ipam/v2/config', '{"strict_affinity":false}');
            await store.create(networkSet(NS, 'db'));
            await store.create(globalPolicy('deny-all'));
            await w.waitForEvents(3);
            await delay(50);
            assert.deepEqual(w.summary(), ['ADDED IPPool/pool-1', `ADDED NetworkSet/${NS}/db`, 'ADDED GlobalNetworkPolicy/deny-all']);
          });
        }));

      void test('watch() of one name or namespace delivers only matching changes', () =>
        withStore(async (store) => {
          await watching(store, { kind: 'NetworkSet', namespace: NS, name: 'db' }, undefined, async (byName) => {
            await watching(store, { kind: 'NetworkSet', namespace: NS2 }, undefined, async (byNamespace) => {
              await byName.whenSynced();
              await byNamespace.whenSynced();
              await store.create(networkSet(NS, 'db-2'));
              await store.create(networkSet(NS2, 'db'));
              await store.create(networkSet(NS, 'db'));
              await byName.waitForEvents(1);
              await byNamespace.waitForEvents(1);
              await delay(50);
              assert.deepEqual(byName.summary(), [`ADDED NetworkSet/${NS}/db`]);
              assert.deepEqual(byNamespace.summary(), [`ADDED NetworkSet/${NS2}/db`]);
            });
          });
        }));

      void test('watch() delivers events after the write returns, and a callback may write to the store', () =>
        withStore(async (store) => {
          const seen: string[] = [];
          let writeInFlight = false;
          let writeFromCallback: Promise<Resource> | undefined;
          const watcher = store.watch({ kind: 'IPPool' }, {
            onEvent: (event) => {
              assert.equal(writeInFlight, false, 'an event was delivered inside the write that caused it');
              seen.push(event.type === 'ADDED' ? event.resource.metadata.name! : event.type);
              if (seen.length === 1) writeFromCallback = store.create(ipPool('from-callback'));
            },
          });
          try {
            await delay(100);
            writeInFlight = true;
            const created = store.create(ipPool('pool-1'));
            writeInFlight = false;
            await created;
            const deadline = Date.now() + 10_000;
            while (seen.length < 2 && Date.now() < deadline) await delay(10);
            await writeFromCallback;
            assert.deepEqual(seen, ['pool-1', 'from-callback']);
          } finally {
            await watcher.stop();
          }
        }));

      void test('stop() ends a watch: onClosed is called once without an error and no events follow', () =>
        withStore(async (store) => {
          const w = new WatchRecorder(store, { kind: 'IPPool' });
          await w.whenSynced();
          await w.stop();
          await store.create(ipPool('pool-1'));
          await delay(100);
          assert.deepEqual(w.events, []);
          assert.deepEqual(w.closed, [undefined]);
          await w.stop();
          assert.equal(w.closed.length, 1);
        }));

      void test('close() ends every watch of the store', async () => {
        const store = await newStore();
        const w = new WatchRecorder(store, {});
        await w.whenSynced();
        await store.close();
        assert.deepEqual(await w.whenClosed(), undefined);
        assert.equal(w.closed.length, 1);
      });

      void test('create() with ttlSeconds: the resource is deleted when the TTL runs out, unless rewritten without one', () =>
        withStore(async (store) => {
          await watching(store, { kind: 'IPPool' }, undefined, async (w) => {
            await w.whenSynced();
            const started = Date.now();
            await store.create(ipPool('short-lived'), { ttlSeconds: 1 });
            await store.create(ipPool('kept'), { ttlSeconds: 1 });
            await store.apply(ipPool('kept'));
            await w.until('the expiry of short-lived', (r) => r.summary().includes('DELETED IPPool/short-lived'), 10_000);
            assert.ok(Date.now() - started >= 900, 'expired before its TTL');
            assert.ok(isNotFound(await rejection(store.get({ kind: 'IPPool', name: 'short-lived' }))));
            await delay(1500);
            assert.equal((await store.get({ kind: 'IPPool', name: 'kept' })).metadata.name, 'kept');
            assert.ok(!w.summary().includes('DELETED IPPool/kept'));
          });
        }));
    });

    void describe('compaction', { skip: compact ? false : 'the store offers no way to compact' }, () => {
      void test('watch() from a compacted revision closes with CompactedError; a re-list and watch recover', () =>
        withStore(async (store) => {
          const old = (await store.list({})).revision;
          await store.create(ipPool('pool-1'));
          const p2 = await store.create(ipPool('pool-2'));
          await store.create(ipPool('pool-3'));
          await compact!(store, p2.metadata.resourceVersion!);
          const stale = new WatchRecorder(store, { kind: 'IPPool' }, old);
          const error = await stale.whenClosed();
          await stale.stop();
          assert.ok(isCompacted(error), `expected CompactedError, got ${error?.message}`);
          assert.deepEqual(stale.events, []);
          assert.equal(stale.closed.length, 1);
          // The recovery every consumer performs: re-list, then watch from the list's revision.
          const listed = await store.list({ kind: 'IPPool' });
          assert.deepEqual(listed.items.map((r) => r.metadata.name), ['pool-1', 'pool-2', 'pool-3']);
          await watching(store, { kind: 'IPPool' }, listed.revision, async (fresh) => {
            await store.create(ipPool('pool-4'));
            await fresh.waitForEvents(1);
            assert.deepEqual(fresh.summary(), ['ADDED IPPool/pool-4']);
            assert.deepEqual(fresh.closed, []);
          });
        }));

      void test('watch() may still start at the compaction revision itself', () =>
        withStore(async (store) => {
          await store.create(ipPool('pool-1'));
          const p2 = await store.create(ipPool('pool-2'));
          const p3 = await store.create(ipPool('pool-3'));
          await compact!(store, p3.metadata.resourceVersion!);
          await watching(store, { kind: 'IPPool' }, p2.metadata.resourceVersion, async (w) => {
            await w.waitForEvents(1);
            assert.deepEqual(w.summary(), ['ADDED IPPool/pool-3']);
            assert.deepEqual(w.closed, []);
          });
        }));

      void test('get() and list() at a compacted revision fail with CompactedError', () =>
        withStore(async (store) => {
          const p1 = await store.create(ipPool('pool-1'));
          const p2 = await store.update({ ...p1, spec: { cidr: '10.3.0.0/16' } });
          await compact!(store, p2.metadata.resourceVersion!);
          const err = await rejection(store.get({ kind: 'IPPool', name: 'pool-1' }, { revision: p1.metadata.resourceVersion! }));
          assert.ok(isCompacted(err), err.message);
          assert.ok(isCompacted(await rejection(store.list({ kind: 'IPPool' }, { revision: p1.metadata.resourceVersion! }))));
          assert.deepEqual(await store.get({ kind: 'IPPool', name: 'pool-1' }, { revision: p2.metadata.resourceVersion! }), p2);
        }));
    });
  });
}
