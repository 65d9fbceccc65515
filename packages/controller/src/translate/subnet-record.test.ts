import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NeutronSubnet } from '../neutron/types.ts';
import { netaddrCidr } from './netaddr-cidr.ts';
import { subnetKey, subnetPrefix, subnetRecord } from './subnet-record.ts';

function subnet(overrides: Partial<NeutronSubnet>): NeutronSubnet {
  return {
    id: 's', name: '', network_id: 'net', ip_version: 4, cidr: '10.0.0.0/24', gateway_ip: null, enable_dhcp: true,
    dns_nameservers: [], host_routes: [], ipv6_ra_mode: null, ipv6_address_mode: null, ...overrides,
  };
}

test('subnetRecord() writes the two records of spec §3.2 K6 byte for byte (test_subnet_hooks)', () => {
  assert.equal(
    subnetRecord(subnet({ network_id: 'net-id-1', cidr: '10.65.0.0/24', gateway_ip: '10.65.0.1', host_routes: [{ destination: '11.11.0.0/16', nexthop: '10.65.0.1' }] })),
    '{"network_id": "net-id-1", "cidr": "10.65.0.0/24", "host_routes": [{"destination": "11.11.0.0/16", "nexthop": "10.65.0.1"}], "gateway_ip": "10.65.0.1"}',
  );
  assert.equal(
    subnetRecord(subnet({ network_id: 'net-id-2', cidr: '10.28.0.0/24', gateway_ip: '10.28.0.1', dns_nameservers: ['172.18.10.55'] })),
    '{"network_id": "net-id-2", "cidr": "10.28.0.0/24", "host_routes": [], "gateway_ip": "10.28.0.1", "dns_servers": ["172.18.10.55"]}',
  );
});

test('subnetRecord() is undefined with DHCP off, writes a null gateway, and adds IPv6 modes only when both are set', () => {
  assert.equal(subnetRecord(subnet({ enable_dhcp: false })), undefined);
  assert.equal(subnetRecord(subnet({ network_id: 'n' })), '{"network_id": "n", "cidr": "10.0.0.0/24", "host_routes": [], "gateway_ip": null}');
  assert.equal(
    subnetRecord(subnet({ network_id: 'n', ip_version: 6, cidr: '2001:DB8:0:0::/64', gateway_ip: '2001:db8::1', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' })),
    '{"network_id": "n", "cidr": "2001:db8::/64", "host_routes": [], "gateway_ip": "2001:db8::1", "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}',
  );
  assert.doesNotMatch(subnetRecord(subnet({ ipv6_ra_mode: 'slaac', ipv6_address_mode: null }))!, /ipv6/);
});

test('netaddrCidr() prints CIDRs as Python netaddr does (host bits kept, glibc IPv6 form)', () => {
  // Expected values from netaddr 0.8's str(IPNetwork(x)).
  const cases: Array<[string, string]> = [
    ['10.65.0.5/24', '10.65.0.5/24'],
    ['2001:0db8:0000:0001:0:0:0:5/64', '2001:db8:0:1::5/64'],
    ['2001:db8:1:0:1:1:1:1/64', '2001:db8:1:0:1:1:1:1/64'],
    ['0:0:1:0:0:1:0:0/64', '::1:0:0:1:0:0/64'],
    ['2001:db8:0:0:1:0:0:1/64', '2001:db8::1:0:0:1/64'],
    ['FE80::1/64', 'fe80::1/64'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['::ffff:1.2.3.4/128', '::ffff:1.2.3.4/128'],
    ['::ffff:102:304/128', '::ffff:1.2.3.4/128'],
    ['::102:304/128', '::1.2.3.4/128'],
    ['::1:0/128', '::0.1.0.0/128'],
    ['::fffe:102:304/128', '::fffe:102:304/128'],
    ['1:0::0:2/128', '1::2/128'],
    ['1:2:3:4:5:6:7:0/128', '1:2:3:4:5:6:7:0/128'],
    ['not-a-cidr', 'not-a-cidr'],
    ['10.0.0.0/33', '10.0.0.0/33'],
  ];
  for (const [input, expected] of cases) assert.equal(netaddrCidr(input), expected, input);
});

test('subnetKey() and subnetPrefix() build the region\'s v2 keys', () => {
  assert.equal(subnetKey('no-region', 'subnet-id-10.65.0--24'), '/calico/dhcp/v2/no-region/subnet/subnet-id-10.65.0--24');
  assert.equal(subnetPrefix('region-asia-central'), '/calico/dhcp/v2/region-asia-central/subnet');
});
