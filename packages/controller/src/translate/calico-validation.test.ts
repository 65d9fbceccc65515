// Every resource the translation builds must pass Calico's own validation (as calicoctl and
// Felix apply it): a rejected policy or endpoint would be dropped by Felix as a whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '@percale/api';
import type { NeutronPort, NeutronSecurityGroup } from '../neutron/types.ts';
import { buildSecurityGroupPolicy } from './security-group-policy.ts';
import { DEFAULT_SG, PORT1, PORT2, PORT3, QOS_POLICY_1, QOS_POLICY_2, fixtureContext, makePort, makeRule } from './testing/fixtures.ts';
import { buildWorkloadEndpoint } from './workload-endpoint.ts';

// Real Neutron ids are lower-case UUIDs (the fixtures' upper-case ids are not valid Calico names).
const lower = (port: NeutronPort): NeutronPort => ({ ...port, id: port.id.toLowerCase(), security_groups: [SG_ID] });
const SG_ID = '3f0e1a52-5d0f-4c0e-9d55-0a9f1f6a2b11';

const PORTS: Array<[string, NeutronPort]> = [
  ['port1', lower(PORT1)],
  ['port2', lower(PORT2)],
  ['port3 (IPv6)', lower(PORT3)],
  ['dual stack, two SGs, DNS name, UUID ids', makePort({
    id: 'a429fb36-04c1-4f6a-a1b3-6e05f3c4f1d0', device_id: '5c4f0e7e-7f3a-4c1e-9d2b-8a6b1c0d9e8f', mac_address: 'fa:16:3e:12:34:56',
    project_id: '0123456789abcdef0123456789abcdef', security_groups: [SG_ID, 'b7c1e0f2-6a44-4f0e-8c1b-0d4e5f6a7b8c'],
    fixed_ips: [{ subnet_id: 'subnet-id-10.65.0--24', ip_address: '10.65.0.7' }, { subnet_id: 'subnet-id-2001:db8:a41:2--64', ip_address: '2001:db8:a41:2::7' }],
    allowed_address_pairs: [{ ip_address: '10.65.0.200' }, { ip_address: '2001:db8:a41:2::200' }],
    dns_assignment: [{ hostname: 'web-1', ip_address: '10.65.0.7', fqdn: 'web-1.example.org.' }],
    'binding:host_id': 'compute-7.example.org',
  })],
  ['no fixed IPs, no SGs (port security off)', makePort({ id: 'p-nosec', device_id: 'vm-nosec', security_groups: [], port_security_enabled: false })],
  ['Kuryr container', makePort({ id: 'k1', device_id: 'c1', device_owner: 'kuryr:container', fixed_ips: [{ subnet_id: 'subnet-id-10.65.0--24', ip_address: '10.65.0.30' }] })],
];

test('buildWorkloadEndpoint() output passes Calico validation for varied ports, regions and QoS', () => {
  const sgNames = new Map<string, { name: string }>([[SG_ID, DEFAULT_SG], ['b7c1e0f2-6a44-4f0e-8c1b-0d4e5f6a7b8c', { name: 'web servers (prod) — ünïcode and a very long name indeed' }]]);
  for (const [note, port] of PORTS) {
    for (const ctx of [
      fixtureContext({ securityGroups: sgNames }),
      fixtureContext({ securityGroups: sgNames, namespace: 'openstack-region-europe', qosPolicy: QOS_POLICY_2, project: { name: '***', parent_id: null } }),
      fixtureContext({ securityGroups: new Map(), network: undefined, project: undefined, floatingIps: [], qosPolicy: QOS_POLICY_1 }),
    ]) {
      const wep = buildWorkloadEndpoint(port, port['binding:host_id'], ctx);
      // allowedIps is networking-calico's own member: kept, as the datastore keeps it.
      assert.deepEqual(validateResource(wep, { unknownFields: 'keep' }), [], `${note} in ${ctx.namespace}`);
    }
  }
});

test('buildWorkloadEndpoint() with an allowed-address-pair CIDR fails only Calico\'s single-address rule', () => {
  const port = makePort({ fixed_ips: [{ subnet_id: 'subnet-id-10.65.0--24', ip_address: '10.65.0.9' }], allowed_address_pairs: [{ ip_address: '10.65.1.0/24' }] });
  const errors = validateResource(buildWorkloadEndpoint(port, 'h', fixtureContext({ floatingIps: [] })), { unknownFields: 'keep' });
  assert.deepEqual(errors.map((e) => e.reason), ['IP network contains multiple addresses']);
});

test('buildSecurityGroupPolicy() output passes Calico validation for every kind of rule Neutron stores', () => {
  const R = makeRule;
  const sg: NeutronSecurityGroup = {
    id: '5d2c6b8e-1f0a-4b3c-9d8e-7f6a5b4c3d2e',
    name: 'everything',
    security_group_rules: [
      R({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' }),
      R({ protocol: 'tcp', port_range_min: 1000, port_range_max: 2000, direction: 'egress', remote_ip_prefix: '10.0.0.0/8' }),
      R({ protocol: 'udp', port_range_min: 53, port_range_max: 53, direction: 'egress' }),
      R({ protocol: '17', port_range_min: 123, port_range_max: 123 }),
      R({ protocol: '132' }),
      R({ protocol: 'sctp', port_range_min: 38412, port_range_max: 38412 }),
      R({ protocol: 'icmp' }),
      R({ protocol: 'icmp', port_range_min: 8, port_range_max: 0 }),
      R({ protocol: 'icmp', port_range_min: 3 }),
      R({ protocol: '1', port_range_min: 0, port_range_max: 0 }),
      R({ protocol: 'ipv6-icmp', ethertype: 'IPv6', port_range_min: 135 }),
      R({ protocol: 'icmp', ethertype: 'IPv6' }),
      R({ protocol: '58', ethertype: 'IPv6', port_range_min: 128, port_range_max: 0 }),
      R({ protocol: 'icmpv6', ethertype: 'IPv6', port_range_min: 136 }),
      R({ protocol: 'gre' }), R({ protocol: 'esp' }), R({ protocol: 'ah' }), R({ protocol: 'vrrp', remote_ip_prefix: '192.0.2.0/24' }),
      R({ protocol: 'ospf' }), R({ protocol: 'igmp' }), R({ protocol: 'pgm' }), R({ protocol: 'ipip' }), R({ protocol: 'egp' }),
      R({ protocol: 'ipv6-encap', ethertype: 'IPv6' }), R({ protocol: 'ipv6-route', ethertype: 'IPv6' }), R({ protocol: 'ipv6-frag', ethertype: 'IPv6' }),
      R({ protocol: 'ipv6-nonxt', ethertype: 'IPv6' }), R({ protocol: 'ipv6-opts', ethertype: 'IPv6' }), R({ protocol: 'rsvp' }),
      R({ protocol: 'dccp' }), R({ protocol: 'udplite' }), R({ protocol: 'dccp', port_range_min: 1, port_range_max: 2 }),
      R({ protocol: '0' }), R({ protocol: 'ip' }), R({ protocol: 'hopopt' }), R({ protocol: 'any' }), R({ protocol: null }),
      R({ protocol: '250' }), R({ protocol: 47 }),
      R({ protocol: 'tcp', port_range_min: 80, port_range_max: null }),
      R({ protocol: null, ethertype: 'IPv6', remote_ip_prefix: '2001:db8::/32', direction: 'egress' }),
      R({ protocol: 'tcp', remote_group_id: '5d2c6b8e-1f0a-4b3c-9d8e-7f6a5b4c3d2e', port_range_min: 443, port_range_max: 443 }),
      R({ protocol: 'icmp', port_range_min: 255 }),
    ].map((r, i) => ({ ...r, id: `r${i}`, security_group_id: '5d2c6b8e-1f0a-4b3c-9d8e-7f6a5b4c3d2e' })),
  };
  for (const namespace of ['openstack', 'openstack-region-europe']) {
    const policy = buildSecurityGroupPolicy(sg, namespace);
    assert.deepEqual(validateResource(policy), [], namespace);
    assert.equal(policy.spec!.ingress.length + policy.spec!.egress.length, sg.security_group_rules.length - 2, 'only dccp ports and ICMP type 255 dropped');
  }
  const defaultSg = { ...DEFAULT_SG, id: SG_ID, security_group_rules: DEFAULT_SG.security_group_rules.map((r) => ({ ...r, security_group_id: SG_ID, remote_group_id: r.remote_group_id && SG_ID })) };
  assert.deepEqual(validateResource(buildSecurityGroupPolicy(defaultSg, 'openstack')), []);
});
