import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeClusterInformation, newClusterGUID } from './merge-cluster-information.ts';

const guid = () => 'uuid-start-no-ports';

test('mergeClusterInformation() fills an empty or missing spec as initial_etcd3_writes expects', () => {
  for (const existing of [undefined, {}]) {
    const result = mergeClusterInformation(existing, { newGUID: guid });
    assert.deepEqual(result, { spec: { clusterGUID: 'uuid-start-no-ports', clusterType: 'openstack', datastoreReady: true }, changed: true });
    assert.deepEqual(Object.keys(result.spec), ['clusterGUID', 'clusterType', 'datastoreReady']);
  }
});

test('mergeClusterInformation() keeps what other orchestrators set and reports no change when complete', () => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, boolean]> = [
    [{ clusterGUID: 'g', clusterType: 'openstack', datastoreReady: true }, { clusterGUID: 'g', clusterType: 'openstack', datastoreReady: true }, false],
    [{ clusterGUID: 'g', clusterType: 'k8s,bgp', datastoreReady: true }, { clusterGUID: 'g', clusterType: 'k8s,bgp,openstack', datastoreReady: true }, true],
    [{ clusterGUID: 'g', clusterType: 'k8s,openstack' }, { clusterGUID: 'g', clusterType: 'k8s,openstack', datastoreReady: true }, true],
    // An explicit false is another orchestrator pausing Calico: respected.
    [{ clusterGUID: 'g', clusterType: 'openstack', datastoreReady: false }, { clusterGUID: 'g', clusterType: 'openstack', datastoreReady: false }, false],
    [{ clusterGUID: '', clusterType: '', datastoreReady: true, calicoVersion: 'v3.30' }, { clusterGUID: 'uuid-start-no-ports', clusterType: 'openstack', datastoreReady: true, calicoVersion: 'v3.30' }, true],
  ];
  for (const [existing, spec, changed] of cases) {
    const before = structuredClone(existing);
    assert.deepEqual(mergeClusterInformation(existing, { newGUID: guid }), { spec, changed }, JSON.stringify(existing));
    assert.deepEqual(existing, before, 'input unchanged');
  }
});

test('newClusterGUID() is a UUID v4 as 32 lower-case hex digits', () => {
  assert.match(newClusterGUID(), /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  assert.notEqual(newClusterGUID(), newClusterGUID());
});
