import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLiveMigration } from './live-migration.ts';
import { pythonJsonDumps } from './python-json.ts';
import { PORT1 } from './testing/fixtures.ts';

test('buildLiveMigration() writes the LiveMigration of spec §3.2 K3 (TestLiveMigration._lm_value)', () => {
  assert.equal(pythonJsonDumps(buildLiveMigration(PORT1, 'felix-host-1', 'dest-host', 'openstack')),
    '{"kind": "LiveMigration", "apiVersion": "projectcalico.org/v3", '
    + '"metadata": {"name": "dest--host-openstack-instance--1-DEADBEEF--1234--5678", "namespace": "openstack"}, '
    + '"spec": {"source": {"workloadEndpoint": {"hostname": "felix-host-1", "orchestratorID": "openstack", "workloadID": "openstack/instance-1", "endpointID": "DEADBEEF-1234-5678"}}, '
    + '"target": {"workloadEndpoint": {"hostname": "dest-host", "orchestratorID": "openstack", "workloadID": "openstack/instance-1", "endpointID": "DEADBEEF-1234-5678"}}}}');
});

test('buildLiveMigration() qualifies the workload with the region namespace', () => {
  const lm = buildLiveMigration(PORT1, 'a', 'b', 'openstack-region-europe');
  assert.equal(lm.metadata.namespace, 'openstack-region-europe');
  assert.equal(lm.spec!.target.workloadEndpoint.workloadID, 'openstack-region-europe/instance-1');
});
