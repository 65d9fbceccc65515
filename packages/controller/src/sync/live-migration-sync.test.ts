/**
 * Unit tests of live migration in the sync engine (spec §10.3, §11.4), on an in-memory Neutron
 * and datastore: the dynamic sync's LiveMigration and destination endpoint through a
 * migration's start, success, failure and a delete, on both the re-reading sync and the
 * notification fast path; and the resync's `lm` entries, full and narrow.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SILENT_LOGGER } from '@percale/daemon';
import { MemoryKeyValueStore, MemoryStore, type Store } from '@percale/datastore';
import { DynamicSync } from './dynamic-sync.ts';
import { EndpointIndex } from './endpoint-index.ts';
import { ProjectCache } from './port-context.ts';
import { fullScope } from './resync-result.ts';
import { runResync } from './resync.ts';
import type { SyncEnv } from './sync-env.ts';
import { FakeNeutron, makePort, makeSubnet } from './testing/fake-neutron.ts';
import type { NeutronPort } from '../neutron/types.ts';

const QOS = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};
const NS = 'openstack';
const PORT = 'DEADBEEF-1234-5678';
// Spec §3.2's names: port DEADBEEF-1234-5678 of instance-1, source felix-host-1, destination dest-host.
const SRC = 'felix--host--1-openstack-instance--1-DEADBEEF--1234--5678';
const DEST = 'dest--host-openstack-instance--1-DEADBEEF--1234--5678';
const SIDE = { orchestratorID: 'openstack', workloadID: 'openstack/instance-1', endpointID: PORT };
const LM_SPEC = {
  source: { workloadEndpoint: { hostname: 'felix-host-1', ...SIDE } },
  target: { workloadEndpoint: { hostname: 'dest-host', ...SIDE } },
};

function world() {
  const neutron = new FakeNeutron();
  neutron.networks.set('net-1', { id: 'net-1', name: 'calico network', subnets: ['sub-1'] });
  neutron.subnets.set('sub-1', makeSubnet({ id: 'sub-1', cidr: '10.65.0.0/24', gateway_ip: '10.65.0.1' }));
  neutron.securityGroups.set('sg-1', { id: 'sg-1', name: 'default', security_group_rules: [] });
  neutron.ports.set(PORT, makePort({
    id: PORT, device_id: 'instance-1', 'binding:host_id': 'felix-host-1', revision_number: 1,
    fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.2' }], security_groups: ['sg-1'],
  }));
  const store = new MemoryStore();
  const env: SyncEnv = { store, kv: new MemoryKeyValueStore(), neutron, namespace: NS, regionString: 'no-region', qos: QOS, log: SILENT_LOGGER };
  const index = new EndpointIndex();
  const sync = new DynamicSync(env, index, new ProjectCache(neutron));
  const port = neutron.ports.get(PORT)!;
  return { neutron, store, env, index, sync, port };
}

async function names(store: Store, kind: string): Promise<string[]> {
  return (await store.list({ kind, namespace: NS })).items.map((r) => r.metadata.name!).sort();
}

/** Counts every create, update and delete the sync makes, by kind. */
function countWrites(store: MemoryStore): string[] {
  const writes: string[] = [];
  for (const op of ['create', 'update', 'delete'] as const) {
    const original = store[op].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[op] = (arg: { kind: string; metadata?: { name?: string }; name?: string }, ...rest: unknown[]) => {
      writes.push(`${op} ${arg.kind} ${arg.metadata?.name ?? arg.name}`);
      return original(arg, ...rest);
    };
  }
  return writes;
}

function startMigration(port: NeutronPort, unbound: boolean): void {
  port['binding:profile'] = { migrating_to: 'dest-host' };
  if (unbound) port['binding:vif_type'] = 'unbound';
  port.revision_number! += 1;
}

// Each step runs twice: with the re-read of the port (no payload), and from the payload a
// port.update.end carries (the fast path, whose caches the first sync filled).
for (const via of ['re-read', 'payload'] as const) {
  const syncPort = (sync: DynamicSync, port: NeutronPort) => sync.syncPort(PORT, via === 'payload' ? structuredClone(port) : undefined);

  describe(`DynamicSync live migration (${via})`, () => {
    for (const unbound of [false, true]) {
      it(`syncPort() writes the LiveMigration, then the destination endpoint, and deletes nothing when a migration starts${unbound ? ' (port transiently unbound)' : ''}`, async () => {
        const { store, sync, port } = world();
        await syncPort(sync, port);
        const writes = countWrites(store);
        startMigration(port, unbound);
        const fast = sync.fastPathSyncs;
        const outcomes = await syncPort(sync, port);
        assert.equal(sync.fastPathSyncs - fast, via === 'payload' ? 1 : 0);
        assert.deepEqual(Object.fromEntries(outcomes), { [SRC]: 'unchanged', [DEST]: 'written', [`lm ${DEST}`]: 'written' });
        assert.deepEqual(writes, [`create LiveMigration ${DEST}`, `create WorkloadEndpoint ${DEST}`]);
        const lm = await store.get({ kind: 'LiveMigration', namespace: NS, name: DEST });
        assert.deepEqual(lm.spec, LM_SPEC);
        assert.equal(lm.metadata.labels, undefined);
        assert.equal((await store.get({ kind: 'WorkloadEndpoint', namespace: NS, name: DEST })).spec!.node, 'dest-host');
        assert.deepEqual(Object.fromEntries(await syncPort(sync, port)), { [SRC]: 'unchanged', [DEST]: 'unchanged', [`lm ${DEST}`]: 'unchanged' });
        assert.equal(writes.length, 2, 'a repeated sync writes nothing');
      });
    }

    it('syncPort() deletes the LiveMigration and the source endpoint when the migration succeeds', async () => {
      const { store, sync, port } = world();
      startMigration(port, true);
      await syncPort(sync, port);
      port['binding:host_id'] = 'dest-host';
      port['binding:vif_type'] = 'tap';
      port['binding:profile'] = {};
      port.revision_number! += 1;
      assert.deepEqual(Object.fromEntries(await syncPort(sync, port)), { [SRC]: 'deleted', [DEST]: 'unchanged', [`lm ${DEST}`]: 'deleted' });
      assert.deepEqual(await names(store, 'WorkloadEndpoint'), [DEST]);
      assert.deepEqual(await names(store, 'LiveMigration'), []);
    });

    it('syncPort() deletes the LiveMigration and the destination endpoint when the migration fails', async () => {
      const { store, sync, port } = world();
      startMigration(port, false);
      await syncPort(sync, port);
      port['binding:profile'] = {};
      port.revision_number! += 1;
      assert.deepEqual(Object.fromEntries(await syncPort(sync, port)), { [SRC]: 'unchanged', [DEST]: 'deleted', [`lm ${DEST}`]: 'deleted' });
      assert.deepEqual(await names(store, 'WorkloadEndpoint'), [SRC]);
      assert.deepEqual(await names(store, 'LiveMigration'), []);
    });
  });
}

describe('DynamicSync live migration (delete)', () => {
  it('syncPort() deletes both endpoints and the LiveMigration, and writes nothing, when the port is deleted mid-migration', async () => {
    const { neutron, store, sync, port } = world();
    startMigration(port, false);
    await sync.syncPort(PORT);
    const writes = countWrites(store);
    neutron.ports.delete(PORT);
    sync.notePortDeleted(PORT);
    assert.deepEqual(Object.fromEntries(await sync.syncPort(PORT)), { [SRC]: 'deleted', [DEST]: 'deleted', [`lm ${DEST}`]: 'deleted' });
    assert.deepEqual(writes.filter((w) => !w.startsWith('delete')), []);
    assert.deepEqual([await names(store, 'WorkloadEndpoint'), await names(store, 'LiveMigration')], [[], []]);
  });

  it('syncPort() retries a LiveMigration whose compare-and-swap lost a race, before writing the destination endpoint', async () => {
    const { store, sync, port } = world();
    await sync.syncPort(PORT);
    startMigration(port, false);
    const create = store.create.bind(store);
    let lost = 0;
    store.create = (resource, options) => {
      if (resource.kind === 'LiveMigration' && lost++ === 0) return Promise.reject(Object.assign(new Error('exists'), { code: 'DATASTORE_ALREADY_EXISTS' }));
      return create(resource, options);
    };
    const outcomes = await sync.syncPort(PORT);
    assert.equal(outcomes.get(`lm ${DEST}`), 'written');
    assert.equal(outcomes.get(DEST), 'written');
    assert.equal(lost, 2);
  });
});

describe('runResync() live migration', () => {
  const endpointsOf = async (env: SyncEnv, scope = fullScope()) => {
    const result = await runResync(env, scope);
    assert.equal(result.ok, true, result.error ?? '');
    const e = result.phases.endpoints!;
    return { correct: e.correct, updated: e.updated, deleted: e.deleted, created: e.created };
  };
  const portScope = { ...fullScope(), ports: [PORT] };

  for (const [label, scope] of [['full', fullScope()], ['narrow', portScope]] as const) {
    it(`runResync() (${label}) creates the LiveMigration and destination endpoint of a migrating port, then writes and deletes nothing`, async () => {
      const { store, env, port } = world();
      startMigration(port, true);
      assert.deepEqual(await endpointsOf(env, scope), { correct: 0, updated: 0, deleted: 0, created: 3 });
      assert.deepEqual((await store.get({ kind: 'LiveMigration', namespace: NS, name: DEST })).spec, LM_SPEC);
      assert.deepEqual(await names(store, 'WorkloadEndpoint'), [DEST, SRC]);
      const before = (await store.list({})).revision;
      assert.deepEqual(await endpointsOf(env, scope), { correct: 3, updated: 0, deleted: 0, created: 0 });
      assert.equal((await store.list({})).revision, before, 'mid-migration, a resync neither writes nor deletes');
    });
  }

  it('runResync() creates the LiveMigration before the destination endpoint', async () => {
    const { store, env, port } = world();
    startMigration(port, false);
    await runResync(env, fullScope());
    const lm = await store.get({ kind: 'LiveMigration', namespace: NS, name: DEST });
    const wep = await store.get({ kind: 'WorkloadEndpoint', namespace: NS, name: DEST });
    assert.ok(BigInt(lm.metadata.resourceVersion!) < BigInt(wep.metadata.resourceVersion!));
  });

  it('runResync() (full) deletes a stale LiveMigration', async () => {
    const { store, env } = world();
    await store.create({ kind: 'LiveMigration', apiVersion: 'projectcalico.org/v3', metadata: { name: 'stale--lm--name', namespace: NS }, spec: LM_SPEC });
    assert.deepEqual(await endpointsOf(env), { correct: 0, updated: 0, deleted: 1, created: 1 });
    assert.deepEqual(await names(store, 'LiveMigration'), []);
  });

  it('runResync() (narrow) deletes the port\'s LiveMigration to an old destination and writes the current one', async () => {
    const { store, env, port } = world();
    await runResync(env, fullScope());
    const stale = 'old--dest--host-openstack-instance--1-DEADBEEF--1234--5678';
    await store.create({ kind: 'LiveMigration', apiVersion: 'projectcalico.org/v3', metadata: { name: stale, namespace: NS }, spec: LM_SPEC });
    // Another port's LiveMigration is outside a narrow scope.
    await store.create({ kind: 'LiveMigration', apiVersion: 'projectcalico.org/v3', metadata: { name: 'dest--host-openstack-vm-other--port', namespace: NS }, spec: LM_SPEC });
    assert.deepEqual(await endpointsOf(env, portScope), { correct: 1, updated: 0, deleted: 1, created: 0 });
    assert.deepEqual(await names(store, 'LiveMigration'), ['dest--host-openstack-vm-other--port']);

    await store.create({ kind: 'LiveMigration', apiVersion: 'projectcalico.org/v3', metadata: { name: stale, namespace: NS }, spec: LM_SPEC });
    startMigration(port, false);
    assert.deepEqual(await endpointsOf(env, portScope), { correct: 1, updated: 0, deleted: 1, created: 2 });
    assert.deepEqual(await names(store, 'LiveMigration'), [DEST, 'dest--host-openstack-vm-other--port']);
  });

  it('runResync() rewrites a LiveMigration whose spec is wrong', async () => {
    const { store, env, port } = world();
    startMigration(port, false);
    await runResync(env, fullScope());
    const lm = await store.get({ kind: 'LiveMigration', namespace: NS, name: DEST });
    await store.update({ ...lm, spec: { ...LM_SPEC, source: { workloadEndpoint: { ...LM_SPEC.source.workloadEndpoint, hostname: 'elsewhere' } } } });
    assert.deepEqual(await endpointsOf(env), { correct: 2, updated: 1, deleted: 0, created: 0 });
    assert.deepEqual((await store.get({ kind: 'LiveMigration', namespace: NS, name: DEST })).spec, LM_SPEC);
  });
});
