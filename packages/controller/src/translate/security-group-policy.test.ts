import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pythonJsonDumps } from './python-json.ts';
import {
  buildSecurityGroupPolicy, calicoProtocol, securityGroupPolicySpec, translateSecurityGroupRule, type SecurityGroupRuleInput,
} from './security-group-policy.ts';
import { DEFAULT_SG, makeRule } from './testing/fixtures.ts';

const R = (overrides: Partial<SecurityGroupRuleInput>): SecurityGroupRuleInput => makeRule(overrides);

test('buildSecurityGroupPolicy() writes the default SG exactly as spec §3.2 K2', () => {
  assert.equal(pythonJsonDumps(buildSecurityGroupPolicy(DEFAULT_SG, 'openstack')),
    '{"kind": "NetworkPolicy", "apiVersion": "projectcalico.org/v3", '
    + '"metadata": {"name": "ossg.default.SGID-default", "namespace": "openstack"}, '
    + '"spec": {"ingress": [{"action": "Allow", "ipVersion": 4, "source": {"selector": "has(sg.projectcalico.org/openstack-SGID-default)"}}, '
    + '{"action": "Allow", "ipVersion": 6, "source": {"selector": "has(sg.projectcalico.org/openstack-SGID-default)"}}], '
    + '"egress": [{"action": "Allow", "ipVersion": 4}, {"action": "Allow", "ipVersion": 6}], '
    + '"selector": "has(sg.projectcalico.org/openstack-SGID-default)"}}');
});

test('translateSecurityGroupRule() gives the §5.3 results with neutron-lib\'s real protocol map', () => {
  const cases: Array<[Partial<SecurityGroupRuleInput>, string]> = [
    [{ protocol: 'icmp' }, '{"action": "Allow", "ipVersion": 4, "protocol": "ICMP"}'],
    [{ protocol: 'icmp', port_range_min: -1, port_range_max: -1 }, '{"action": "Allow", "ipVersion": 4, "protocol": "ICMP"}'],
    [{ protocol: 'icmp', port_range_min: 123, port_range_max: 100 }, '{"action": "Allow", "ipVersion": 4, "protocol": "ICMP", "icmp": {"type": 123, "code": 100}}'],
    [{ protocol: 'icmp', ethertype: 'IPv6', port_range_min: 123, port_range_max: 100 }, '{"action": "Allow", "ipVersion": 6, "protocol": "ICMPv6", "icmp": {"type": 123, "code": 100}}'],
    [{ protocol: 123, direction: 'egress', remote_group_id: 'foobar' }, '{"action": "Allow", "ipVersion": 4, "protocol": 123, "destination": {"selector": "has(sg.projectcalico.org/openstack-foobar)"}}'],
    [{ protocol: 'any' }, '{"action": "Allow", "ipVersion": 4}'],
    [{ protocol: 0 }, '{"action": "Allow", "ipVersion": 4}'],
    [{ protocol: 'esp' }, '{"action": "Allow", "ipVersion": 4, "protocol": 50}'],
    [{ protocol: 'tcp', port_range_min: 25, port_range_max: 34 }, '{"action": "Allow", "ipVersion": 4, "protocol": 6, "destination": {"ports": ["25:34"]}}'],
    [{ protocol: 'tcp', port_range_min: 25, port_range_max: 34, direction: 'egress' }, '{"action": "Allow", "ipVersion": 4, "protocol": 6, "destination": {"ports": ["25:34"]}}'],
    [{ protocol: 'tcp', port_range_min: 25, port_range_max: 34, remote_ip_prefix: '1.2.3.0/24' },
      '{"action": "Allow", "ipVersion": 4, "protocol": 6, "destination": {"ports": ["25:34"]}, "source": {"nets": ["1.2.3.0/24"]}}'],
    [{ protocol: 'tcp', port_range_min: 25, port_range_max: 34, remote_ip_prefix: '1.2.3.0/24', direction: 'egress' },
      '{"action": "Allow", "ipVersion": 4, "protocol": 6, "destination": {"nets": ["1.2.3.0/24"], "ports": ["25:34"]}}'],
    [{ protocol: -1, port_range_min: 5060, port_range_max: 5061, remote_group_id: 'SGID-default' },
      '{"action": "Allow", "ipVersion": 4, "destination": {"ports": ["5060:5061"]}, "source": {"selector": "has(sg.projectcalico.org/openstack-SGID-default)"}}'],
    [{ protocol: -1, port_range_min: 5060, port_range_max: 5060, remote_group_id: 'SGID-default' },
      '{"action": "Allow", "ipVersion": 4, "destination": {"ports": [5060]}, "source": {"selector": "has(sg.projectcalico.org/openstack-SGID-default)"}}'],
  ];
  for (const [rule, expected] of cases) assert.equal(pythonJsonDumps(translateSecurityGroupRule(R(rule))), expected, JSON.stringify(rule));
});

test('translateSecurityGroupRule() writes what the real driver writes for Neutron-stored protocols (spec §12)', () => {
  const cases: Array<[Partial<SecurityGroupRuleInput>, object]> = [
    // Names map to numbers; numbers Neutron stored as text stay text (Calico reads "17" as 17).
    [{ protocol: 'udp', port_range_min: 53, port_range_max: 53 }, { protocol: 17, destination: { ports: [53] } }],
    [{ protocol: '17', port_range_min: 53, port_range_max: 53 }, { protocol: '17', destination: { ports: [53] } }],
    [{ protocol: '132' }, { protocol: '132' }],
    [{ protocol: 'sctp', port_range_min: 9, port_range_max: 10 }, { protocol: 132, destination: { ports: ['9:10'] } }],
    [{ protocol: 'ipv6-icmp', ethertype: 'IPv6' }, { protocol: 'ICMPv6' }],
    [{ protocol: 'vrrp', remote_ip_prefix: '10.0.0.0/8' }, { protocol: 112, source: { nets: ['10.0.0.0/8'] } }],
  ];
  for (const [rule, expected] of cases) {
    assert.deepEqual(translateSecurityGroupRule(R(rule)), { action: 'Allow', ipVersion: rule.ethertype === 'IPv6' ? 6 : 4, ...expected }, JSON.stringify(rule));
  }
});

test('translateSecurityGroupRule() writes correct values where networking-calico writes malformed ones', () => {
  const cases: Array<[Partial<SecurityGroupRuleInput>, object | undefined, string]> = [
    // §12 item 3: a missing maximum is one port (Neutron's firewall reading), not "80:None".
    [{ protocol: 'tcp', port_range_min: 80, port_range_max: null }, { protocol: 6, destination: { ports: [80] } }, 'min only'],
    [{ protocol: 'tcp', port_range_min: null, port_range_max: 80 }, { protocol: 6 }, 'max only'],
    // §12 item 2 and numeric ICMP: type/code, not ports, which Calico rejects for ICMP.
    [{ protocol: 'icmpv6', ethertype: 'IPv6', port_range_min: 135, port_range_max: 0 }, { protocol: 58, icmp: { type: 135, code: 0 } }, 'icmpv6'],
    [{ protocol: '1', port_range_min: 8, port_range_max: null }, { protocol: '1', icmp: { type: 8 } }, 'numeric icmp'],
    [{ protocol: '58', ethertype: 'IPv6', port_range_min: 128 }, { protocol: '58', icmp: { type: 128 } }, 'numeric icmpv6'],
    // Protocol 0 is "any" in Neutron and invalid in Calico.
    [{ protocol: '0' }, {}, 'text 0'],
    [{ protocol: 'ip' }, {}, 'ip'],
    [{ protocol: 'hopopt' }, {}, 'hopopt'],
    // Rules Calico cannot express are left out rather than invalidating the whole policy.
    [{ protocol: 'dccp', port_range_min: 5000, port_range_max: 5001 }, undefined, 'dccp ports'],
    [{ protocol: 'udplite', port_range_min: 5000, port_range_max: 5000 }, undefined, 'udplite ports'],
    [{ protocol: 'icmp', port_range_min: 255 }, undefined, 'icmp type 255'],
    [{ protocol: 'tcp', remote_address_group_id: 'ag-1' }, undefined, 'address group'],
  ];
  for (const [rule, expected, note] of cases) {
    const want = expected && { action: 'Allow', ipVersion: rule.ethertype === 'IPv6' ? 6 : 4, ...expected };
    assert.deepEqual(translateSecurityGroupRule(R(rule)), want, note);
  }
});

test('securityGroupPolicySpec() keeps Neutron order per direction and skips other groups\' rules (§11.1 step 10)', () => {
  const rules = [
    R({ id: 'a', security_group_id: 'SG-1', protocol: null, port_range_min: 5060, port_range_max: 5061, remote_group_id: 'SGID-default' }),
    R({ id: 'b', security_group_id: 'SG-other', protocol: 'tcp' }),
    R({ id: 'c', security_group_id: 'SG-1', protocol: 'udp', direction: 'egress' }),
    R({ id: 'd', security_group_id: 'SG-1', protocol: 'tcp', port_range_min: 22, port_range_max: 22 }),
  ];
  assert.deepEqual(securityGroupPolicySpec('SG-1', rules), {
    ingress: [
      { action: 'Allow', ipVersion: 4, destination: { ports: ['5060:5061'] }, source: { selector: 'has(sg.projectcalico.org/openstack-SGID-default)' } },
      { action: 'Allow', ipVersion: 4, protocol: 6, destination: { ports: [22] } },
    ],
    egress: [{ action: 'Allow', ipVersion: 4, protocol: 17 }],
    selector: 'has(sg.projectcalico.org/openstack-SG-1)',
  });
  assert.deepEqual(securityGroupPolicySpec('SG-empty', []), { ingress: [], egress: [], selector: 'has(sg.projectcalico.org/openstack-SG-empty)' });
});

test('calicoProtocol() maps every neutron-lib protocol name', () => {
  const cases: Array<[string | number | null, 4 | 6, number | string | undefined]> = [
    [null, 4, undefined], [-1, 4, undefined], ['-1', 4, undefined], ['ANY', 4, undefined],
    ['tcp', 4, 6], ['TCP', 4, 6], ['udp', 6, 17], ['icmp', 4, 'ICMP'], ['icmp', 6, 'ICMPv6'], ['ipv6-icmp', 6, 'ICMPv6'],
    ['ah', 4, 51], ['gre', 4, 47], ['ipv6-encap', 6, 41], ['ospf', 4, 89], ['pgm', 4, 113], ['udplite', 4, 136],
    [6, 4, 6], ['6', 4, '6'], ['250', 4, '250'],
  ];
  for (const [protocol, version, expected] of cases) assert.equal(calicoProtocol(protocol, version), expected, `${protocol}/${version}`);
});
