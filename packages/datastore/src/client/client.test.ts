/**
 * Tests of the validating client over an in-memory store: the client-level rules
 * Calico applies before anything reaches the datastore.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ValidationError, type Resource } from '@percale/api';
import { MemoryStore } from '../memory/memory-store.ts';
import { isAlreadyExists, isNotFound, isRevisionConflict } from '../errors.ts';
import { Client, DEFAULT_ALLOW_PROFILE } from './client.ts';

const v3 = 'projectcalico.org/v3';

function gnp(name: string, spec: Record<string, unknown> = {}): Resource {
  return { apiVersion: v3, kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { selector: 'all()', ...spec } };
}

function wep(spec: Record<string, unknown>, name?: string): Resource {
  return {
    apiVersion: v3,
    kind: 'WorkloadEndpoint',
    metadata: { namespace: 'openstack-region-one', ...(name ? { name } : {}), labels: { app: 'web' } },
    spec: { orchestrator: 'openstack', node: 'compute-1', workload: 'vm-1', endpoint: 'port-1', interfaceName: 'tapport1', ipNetworks: ['10.65.0.2/32'], ...spec },
  };
}

async function rejects(p: Promise<unknown>, check: (err: unknown) => boolean, what: string): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    assert.ok(check(err), `expected ${what}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${what}, but the call succeeded`);
}

const isValidation = (err: unknown) => err instanceof ValidationError;

describe('Client', () => {
  let client: Client;
  beforeEach(async () => {
    client = new Client(new MemoryStore());
    await client.ensureInitialized();
  });

  it('ensureInitialized() creates the built-in tiers and ClusterInformation once', async () => {
    const tiers = await client.list({ kind: 'Tier' });
    assert.deepEqual(tiers.items.map((t) => t.metadata.name).sort(), ['default', 'kube-admin', 'kube-baseline']);
    const info = await client.get({ kind: 'ClusterInformation', name: 'default' });
    assert.match(String(info.spec?.clusterGUID), /^[0-9a-f]{32}$/);
    assert.equal(info.spec?.datastoreReady, true);
    await client.ensureInitialized({ clusterType: 'openstack' });
    const again = await client.get({ kind: 'ClusterInformation', name: 'default' });
    assert.equal(again.spec?.clusterGUID, info.spec?.clusterGUID, 'the GUID is generated once');
    assert.equal(again.spec?.clusterType, 'openstack');
  });

  it('create() infers policy types, sets the tier label and assigns uid and creationTimestamp', async () => {
    const created = await client.create(gnp('allow-web', { egress: [{ action: 'Allow' }] }));
    assert.deepEqual(created.spec?.types, ['Egress']);
    assert.equal(created.metadata.labels?.['projectcalico.org/tier'], 'default');
    assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(created.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(created.metadata.resourceVersion ?? '', /^\d+$/);
  });

  it('create() rejects an invalid resource with the field named and writes nothing', async () => {
    const err = await rejects(client.create(gnp('bad', { selector: 'has(' })), isValidation, 'a ValidationError');
    assert.match((err as Error).message, /selector/i);
    await rejects(client.get({ kind: 'GlobalNetworkPolicy', name: 'bad' }), isNotFound, 'NotFound');
  });

  it('create() refuses a resourceVersion, and a policy in a tier that does not exist', async () => {
    const withRv = gnp('p1');
    withRv.metadata.resourceVersion = '12';
    const err = await rejects(client.create(withRv), isValidation, 'a ValidationError');
    assert.match((err as Error).message, /ResourceVersion.*must not be set for a Create request/);
    await rejects(client.create(gnp('p2', { tier: 'missing' })), isNotFound, 'the missing tier');
  });

  it('create() requires a namespace for namespaced kinds and refuses one for cluster kinds', async () => {
    const np: Resource = { apiVersion: v3, kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: {} };
    await rejects(client.create(np), isValidation, 'missing namespace');
    const g = gnp('g');
    g.metadata.namespace = 'x';
    await rejects(client.create(g), isValidation, 'unexpected namespace');
  });

  it('create() names a WorkloadEndpoint from its spec and forces the namespace and orchestrator labels', async () => {
    const created = await client.create(wep({ node: 'compute-node02', workload: 'vm-a-b', endpoint: 'port-c' }));
    assert.equal(created.metadata.name, 'compute--node02-openstack-vm--a--b-port--c');
    assert.equal(created.metadata.labels?.['projectcalico.org/namespace'], 'openstack-region-one');
    assert.equal(created.metadata.labels?.['projectcalico.org/orchestrator'], 'openstack');
    assert.equal(created.metadata.labels?.app, 'web');
    const err = await rejects(client.create(wep({}, 'wrong-name')), isValidation, 'a name mismatch');
    assert.match((err as Error).message, /expected name compute--1-openstack-vm--1-port--1/);
  });

  it('update() needs the current resourceVersion and keeps uid and creationTimestamp', async () => {
    const created = await client.create(gnp('p'));
    const updated = await client.update({ ...created, spec: { ...created.spec, order: 10 } });
    assert.equal(updated.spec?.order, 10);
    assert.equal(updated.metadata.uid, created.metadata.uid);
    assert.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
    await rejects(client.update({ ...created, spec: { ...created.spec, order: 11 } }), isRevisionConflict, 'a conflict on the stale version');
    const noRv = structuredClone(updated);
    delete noRv.metadata.resourceVersion;
    await rejects(client.update(noRv), isValidation, 'missing resourceVersion');
  });

  it('serves the synthetic default-allow profile and protects it', async () => {
    const p = await client.get({ kind: 'Profile', name: DEFAULT_ALLOW_PROFILE });
    assert.deepEqual(p.spec, { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] });
    const list = await client.list({ kind: 'Profile' });
    assert.ok(list.items.some((x) => x.metadata.name === DEFAULT_ALLOW_PROFILE));
    await rejects(client.create({ apiVersion: v3, kind: 'Profile', metadata: { name: DEFAULT_ALLOW_PROFILE }, spec: {} }), isAlreadyExists, 'already exists');
    await rejects(client.delete({ kind: 'Profile', name: DEFAULT_ALLOW_PROFILE }), (e) => (e as Error).message.includes('cannot be deleted'), 'a refusal');
  });

  it('delete() protects built-in and non-empty tiers', async () => {
    await rejects(client.delete({ kind: 'Tier', name: 'default' }), (e) => /Cannot delete default tier/.test((e as Error).message), 'built-in tier refusal');
    await client.create({ apiVersion: v3, kind: 'Tier', metadata: { name: 'security' }, spec: { order: 100 } });
    await client.create(gnp('security.block', { tier: 'security' }));
    await rejects(client.delete({ kind: 'Tier', name: 'security' }), (e) => /non-empty tier/.test((e as Error).message), 'non-empty tier refusal');
    await client.delete({ kind: 'GlobalNetworkPolicy', name: 'security.block' });
    await client.delete({ kind: 'Tier', name: 'security' });
  });

  it('create() rejects an IPPool overlapping another pool', async () => {
    const pool = (name: string, cidr: string): Resource => ({ apiVersion: v3, kind: 'IPPool', metadata: { name }, spec: { cidr } });
    await client.create(pool('a', '10.65.0.0/16'));
    const err = await rejects(client.create(pool('b', '10.65.4.0/24')), isValidation, 'an overlap error');
    assert.match((err as Error).message, /overlaps with IPPool\(a\)/);
    await client.create(pool('c', '10.66.0.0/16'));
  });

  it('delete() of a Node removes its workload endpoints and per-node configuration', async () => {
    await client.create({ apiVersion: v3, kind: 'Node', metadata: { name: 'compute-1' }, spec: {} });
    await client.create(wep({}));
    await client.create({ apiVersion: v3, kind: 'FelixConfiguration', metadata: { name: 'node.compute-1' }, spec: {} });
    await client.delete({ kind: 'Node', name: 'compute-1' });
    assert.equal((await client.list({ kind: 'WorkloadEndpoint' })).items.length, 0);
    await rejects(client.get({ kind: 'FelixConfiguration', name: 'node.compute-1' }), isNotFound, 'NotFound');
  });
});
