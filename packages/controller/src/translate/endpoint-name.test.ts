import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidationError, parseWorkloadEndpointName } from '@percale/api';
import { endpointName } from './endpoint-name.ts';
import { isEndpointPort } from './endpoint-port.ts';

test('endpointName() doubles dashes in host, device and port id (spec §4.2)', () => {
  const cases: Array<[string, string, string, string]> = [
    ['felix-host-1', 'instance-1', 'DEADBEEF-1234-5678', 'felix--host--1-openstack-instance--1-DEADBEEF--1234--5678'],
    ['new-host', 'instance-1', 'DEADBEEF-1234-5678', 'new--host-openstack-instance--1-DEADBEEF--1234--5678'],
    ['dest-host', 'instance-1', 'DEADBEEF-1234-5678', 'dest--host-openstack-instance--1-DEADBEEF--1234--5678'],
    ['compute1', 'vm', 'p', 'compute1-openstack-vm-p'],
  ];
  for (const [host, device, id, expected] of cases) {
    const name = endpointName(host, { id, device_id: device });
    assert.equal(name, expected);
    // Felix splits the name back into the same four identifiers.
    assert.deepEqual(parseWorkloadEndpointName(name), { node: host, orchestrator: 'openstack', workload: device, endpoint: id, pod: '', containerID: '' });
  }
});

test('endpointName() refuses identifiers Felix could not split back', () => {
  for (const [host, device] of [['', 'vm'], ['host', ''], ['-host', 'vm'], ['host', 'vm-']]) {
    assert.throws(() => endpointName(host!, { id: 'port', device_id: device! }), (err: unknown) => isValidationError(err), `${host}/${device}`);
  }
});

test('isEndpointPort() accepts VM and Kuryr ports only (spec §4.1)', () => {
  const cases: Array<[string, boolean]> = [
    ['compute:nova', true], ['compute:az-1', true], ['kuryr:container', true], ['kuryr:container:x', true],
    ['network:dhcp', false], ['network:router_interface', false], ['network:floatingip', false], ['', false], ['Compute:nova', false],
  ];
  for (const [owner, expected] of cases) assert.equal(isEndpointPort({ device_owner: owner }), expected, owner);
});
