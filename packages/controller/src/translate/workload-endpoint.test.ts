import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidationError } from '@percale/api';
import { pythonJsonDumps } from './python-json.ts';
import { FLOATING_IP, PORT1, PORT2, PORT3, QOS_POLICY_1, fixtureContext, makePort } from './testing/fixtures.ts';
import { allowedAddressNetwork, buildWorkloadEndpoint, endpointAnnotations, endpointLabels, interfaceNameForPort } from './workload-endpoint.ts';

test('buildWorkloadEndpoint() writes port1 exactly as spec §3.2 K1 (test_start_two_ports), member order included', () => {
  const wep = buildWorkloadEndpoint(PORT1, 'felix-host-1', fixtureContext());
  assert.equal(pythonJsonDumps(wep), '{"kind": "WorkloadEndpoint", "apiVersion": "projectcalico.org/v3", '
    + '"metadata": {"name": "felix--host--1-openstack-instance--1-DEADBEEF--1234--5678", "namespace": "openstack", '
    + '"annotations": {"openstack.projectcalico.org/network-id": "calico-network-id"}, '
    + '"labels": {"sg.projectcalico.org/openstack-SGID-default": "My_default_SG", '
    + '"sg-name.projectcalico.org/openstack-My_default_SG": "SGID-default", '
    + '"projectcalico.org/namespace": "openstack", "projectcalico.org/orchestrator": "openstack", '
    + '"projectcalico.org/openstack-project-id": "jane3", "projectcalico.org/openstack-project-name": "pname_jane3", '
    + '"projectcalico.org/openstack-project-parent-id": "gibson", "projectcalico.org/openstack-network-name": "calico-network-name"}}, '
    + '"spec": {"orchestrator": "openstack", "workload": "instance-1", "node": "felix-host-1", '
    + '"endpoint": "DEADBEEF-1234-5678", "interfaceName": "tapDEADBEEF-12", "mac": "00:11:22:33:44:55", '
    + '"ipv4Gateway": "10.65.0.1", "ipNetworks": ["10.65.0.2/32", "23.23.23.2/32"], "allowedIps": ["23.23.23.2/32"], '
    + '"ipNATs": [{"internalIP": "10.65.0.2", "externalIP": "192.168.0.1"}]}}');
});

test('buildWorkloadEndpoint() puts the region namespace in metadata and the namespace label (TestPluginEtcdRegion)', () => {
  const wep = buildWorkloadEndpoint(PORT1, 'felix-host-1', fixtureContext({ namespace: 'openstack-region-europe' }));
  assert.equal(wep.metadata.namespace, 'openstack-region-europe');
  assert.equal(wep.metadata.labels!['projectcalico.org/namespace'], 'openstack-region-europe');
});

test('buildWorkloadEndpoint() writes port2 without NATs and with empty allowedIps (§11.1 step 1)', () => {
  const { spec } = buildWorkloadEndpoint(PORT2, 'felix-host-1', fixtureContext());
  assert.deepEqual(spec, {
    orchestrator: 'openstack', workload: 'instance-2', node: 'felix-host-1', endpoint: 'FACEBEEF-1234-5678',
    interfaceName: 'tapFACEBEEF-12', mac: '00:11:22:33:44:66', ipv4Gateway: '10.65.0.1',
    ipNetworks: ['10.65.0.3/32'], allowedIps: [],
  });
});

test('buildWorkloadEndpoint() writes an IPv6 port with /128 and ipv6Gateway (§11.1 step 9)', () => {
  const wep = buildWorkloadEndpoint(PORT3, 'felix-host-2', fixtureContext());
  assert.equal(wep.metadata.name, 'felix--host--2-openstack-instance--3-HELLO--1234--5678');
  assert.equal(wep.spec!.interfaceName, 'tapHELLO-1234-');
  assert.deepEqual(wep.spec!.ipNetworks, ['2001:db8:a41:2::12/128']);
  assert.equal(wep.spec!.ipv6Gateway, '2001:db8:a41:2::1');
  assert.equal(wep.spec!.ipv4Gateway, undefined);
});

test('buildWorkloadEndpoint() names and places the endpoint at the given host (migration destination, §11.1 step 7)', () => {
  const wep = buildWorkloadEndpoint(PORT1, 'new-host', fixtureContext());
  assert.equal(wep.metadata.name, 'new--host-openstack-instance--1-DEADBEEF--1234--5678');
  assert.equal(wep.spec!.node, 'new-host');
});

test('buildWorkloadEndpoint() refuses a port it cannot name (empty binding host, spec §12 item 5)', () => {
  assert.throws(() => buildWorkloadEndpoint(PORT1, '', fixtureContext()), (err: unknown) => isValidationError(err));
});

test('endpointLabels() follows SG membership, name collisions and unknown groups (§4.5, §11.1 step 11)', () => {
  const sg1 = { name: 'My first SG' };
  const port = makePort({ security_groups: ['SG-1', 'SG-unknown', 'SG-2'] });
  const labels = endpointLabels(port, {
    namespace: 'openstack',
    securityGroups: new Map([['SG-1', sg1], ['SG-2', { name: 'My first SG!' }]]),
  });
  assert.deepEqual(labels, {
    'sg.projectcalico.org/openstack-SG-1': 'My_first_SG',
    // Both groups sanitise to the same name: the later one owns the name label.
    'sg-name.projectcalico.org/openstack-My_first_SG': 'SG-2',
    'sg.projectcalico.org/openstack-SG-unknown': '',
    'sg.projectcalico.org/openstack-SG-2': 'My_first_SG',
    'projectcalico.org/namespace': 'openstack',
    'projectcalico.org/orchestrator': 'openstack',
    'projectcalico.org/openstack-project-id': 'jane3',
  });
  assert.deepEqual(Object.keys(labels).slice(0, 2), ['sg.projectcalico.org/openstack-SG-1', 'sg-name.projectcalico.org/openstack-My_first_SG']);
});

test('endpointLabels() uses project_id over tenant_id, cuts names to 27 and 63 characters, and writes a missing parent as ""', () => {
  const port = makePort({ project_id: 'p-new', tenant_id: 't-old', security_groups: ['sg'] });
  const labels = endpointLabels(port, {
    namespace: 'openstack',
    securityGroups: new Map([['sg', { name: 'a'.repeat(40) }]]),
    project: { name: 'P'.repeat(70), parent_id: null },
    network: { name: '***' },
  });
  assert.equal(labels['sg.projectcalico.org/openstack-sg'], 'a'.repeat(27));
  assert.equal(labels['projectcalico.org/openstack-project-id'], 'p-new');
  assert.equal(labels['projectcalico.org/openstack-project-name'], 'P'.repeat(63));
  assert.equal(labels['projectcalico.org/openstack-project-parent-id'], '');
  assert.equal(labels['projectcalico.org/openstack-network-name'], '');
  const noProject = endpointLabels(makePort({ tenant_id: undefined, security_groups: [] }), { namespace: 'openstack', securityGroups: new Map() });
  assert.deepEqual(noProject, { 'projectcalico.org/namespace': 'openstack', 'projectcalico.org/orchestrator': 'openstack' });
});

test('endpointAnnotations() adds the FQDN of the first DNS assignment', () => {
  assert.deepEqual(endpointAnnotations({ network_id: 'net', dns_assignment: [] }), { 'openstack.projectcalico.org/network-id': 'net' });
  assert.deepEqual(endpointAnnotations({
    network_id: 'net',
    dns_assignment: [{ hostname: 'vm1', ip_address: '10.0.0.5', fqdn: 'vm1.example.org.' }, { hostname: 'vm1', ip_address: 'fd00::5', fqdn: 'vm1.example.org.' }],
  }), { 'openstack.projectcalico.org/network-id': 'net', 'openstack.projectcalico.org/fqdn': 'vm1.example.org.' });
});

test('buildWorkloadEndpoint() takes the last gateway of each family, keeps first-set order, and skips unknown subnets', () => {
  const port = makePort({
    fixed_ips: [
      { subnet_id: 'v6', ip_address: 'fd00::5' },
      { subnet_id: 'v4-a', ip_address: '10.0.0.5' },
      { subnet_id: 'v4-b', ip_address: '10.0.1.5' },
      { subnet_id: 'v4-nogw', ip_address: '10.0.2.5' },
      { subnet_id: 'unknown', ip_address: '10.0.3.5' },
    ],
  });
  const subnets = new Map([['v6', { gateway_ip: 'fd00::1' }], ['v4-a', { gateway_ip: '10.0.0.1' }], ['v4-b', { gateway_ip: '10.0.1.1' }], ['v4-nogw', { gateway_ip: null }]]);
  const { spec } = buildWorkloadEndpoint(port, 'h', fixtureContext({ subnets, floatingIps: [] }));
  assert.deepEqual(Object.keys(spec!).slice(6, 8), ['ipv6Gateway', 'ipv4Gateway']);
  assert.equal(spec!.ipv6Gateway, 'fd00::1');
  assert.equal(spec!.ipv4Gateway, '10.0.1.1');
  assert.deepEqual(spec!.ipNetworks, ['fd00::5/128', '10.0.0.5/32', '10.0.1.5/32', '10.0.2.5/32', '10.0.3.5/32']);
});

test('buildWorkloadEndpoint() writes allowed-address-pair CIDRs as networks, not "/24/32" (spec §12 item 4)', () => {
  const port = makePort({
    fixed_ips: [{ subnet_id: 'subnet-id-10.65.0--24', ip_address: '10.65.0.9' }],
    allowed_address_pairs: [{ ip_address: '10.65.1.0/24' }, { ip_address: 'fd00::7' }, { ip_address: 'FD00:0:0:1::/64' }, { ip_address: '10.9.9.9/32' }],
  });
  const { spec } = buildWorkloadEndpoint(port, 'h', fixtureContext({ floatingIps: [] }));
  assert.deepEqual(spec!.allowedIps, ['10.65.1.0/24', 'fd00::7/128', 'fd00:0:0:1::/64', '10.9.9.9/32']);
  assert.deepEqual(spec!.ipNetworks, ['10.65.0.9/32', '10.65.1.0/24', 'fd00::7/128', 'fd00:0:0:1::/64', '10.9.9.9/32']);
  assert.equal(allowedAddressNetwork('10.0.0.5'), '10.0.0.5/32');
});

test('buildWorkloadEndpoint() lists only this port\'s floating IPs and adds qosControls from the policy', () => {
  const other = { ...FLOATING_IP, id: 'fip-2', port_id: 'someone-else', floating_ip_address: '192.168.0.2' };
  const unassociated = { ...FLOATING_IP, id: 'fip-3', port_id: null, fixed_ip_address: null };
  const { spec } = buildWorkloadEndpoint(PORT1, 'felix-host-1', fixtureContext({ floatingIps: [other, FLOATING_IP, unassociated], qosPolicy: QOS_POLICY_1 }));
  assert.deepEqual(spec!.ipNATs, [{ internalIP: '10.65.0.2', externalIP: '192.168.0.1' }]);
  assert.deepEqual(spec!.qosControls, { egressBandwidth: 10000000, egressBurst: 4294967296 });
  assert.deepEqual(Object.keys(spec!).slice(-2), ['ipNATs', 'qosControls']);
});

test('interfaceNameForPort() is "tap" and the first 11 characters of the id', () => {
  assert.equal(interfaceNameForPort('a429fb36-04c1-4f6a-a1b3-6e05f3c4f1d0'), 'tapa429fb36-04');
  assert.equal(interfaceNameForPort('short'), 'tapshort');
});

test('buildWorkloadEndpoint() follows a network change in label and annotation (§11.1 step 16)', () => {
  const moved = { ...PORT3, network_id: 'calico-other-network-id' };
  const wep = buildWorkloadEndpoint(moved, 'felix-host-2', fixtureContext({ network: { name: 'my-first-network' } }));
  assert.equal(wep.metadata.labels!['projectcalico.org/openstack-network-name'], 'my-first-network');
  assert.deepEqual(wep.metadata.annotations, { 'openstack.projectcalico.org/network-id': 'calico-other-network-id' });
});
