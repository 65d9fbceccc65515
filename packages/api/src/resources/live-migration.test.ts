import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeResource, encodeResource, validateResource } from '../index.ts';

// The LiveMigration networking-calico writes for a port moving from compute-1 to compute-2
// (openstack-integration.md §3.2 K3), with a real Neutron port's lower-case ids.
const endpoint = (hostname: string) => ({
  hostname, orchestratorID: 'openstack', workloadID: 'openstack-region-one/9d0c8f5e-4b3a', endpointID: '2f0b7c1e-aa11',
});
const stored = JSON.stringify({
  kind: 'LiveMigration', apiVersion: 'projectcalico.org/v3',
  metadata: { name: 'compute--2-openstack-9d0c8f5e--4b3a-2f0b7c1e--aa11', namespace: 'openstack-region-one', uid: 'u-1', creationTimestamp: '2026-11-21T10:00:00Z' },
  spec: { source: { workloadEndpoint: endpoint('compute-1') }, target: { workloadEndpoint: endpoint('compute-2') } },
});

test('LiveMigration decodes, validates and re-encodes byte for byte as Go writes it', () => {
  const { resource, errors } = decodeResource(JSON.parse(stored));
  assert.deepEqual(errors, []);
  assert.ok(resource);
  assert.deepEqual(validateResource(resource), []);
  assert.equal(encodeResource(resource), stored);
});

test('LiveMigration source and target each need exactly one identifier', () => {
  const both = JSON.parse(stored);
  both.spec.source.workload = { hostname: 'compute-1', orchestratorID: 'openstack', workloadID: 'w' };
  delete both.spec.target.workloadEndpoint;
  const decoded = decodeResource(both).resource;
  assert.ok(decoded);
  const errors = validateResource(decoded).map((e) => `${e.field}: ${e.reason}`);
  assert.deepEqual(errors, [
    'spec.source: exactly one of workload and workloadEndpoint must be set',
    'spec.target: exactly one of selector and workloadEndpoint must be set',
  ]);
});

test('LiveMigration members outside the schema are refused as calicoctl refuses them', () => {
  const extra = JSON.parse(stored);
  extra.spec.target.workloadEndpoint.port = 1;
  assert.match(decodeResource(extra).errors.map((e) => e.reason).join(), /field in document is not recognized or is in the wrong location: port/);
});
