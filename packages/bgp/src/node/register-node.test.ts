/**
 * Tests of Node registration (against the in-memory store through the validating client) and
 * of calico-node's address selection rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, MemoryStore } from '@percale/datastore';
import type { Resource } from '@percale/api';
import { SILENT_LOGGER } from '@percale/daemon';
import { AddressConfigError, autodetectAddress, parseAutodetectMethod, type DetectDeps, type InterfaceAddress } from './detect-address.ts';
import { applyRegistration, registerNode, resolveNodeRegistration } from './register-node.ts';

const ADDRS: InterfaceAddress[] = [
  { iface: 'lo', address: '127.0.0.1', prefixLength: 8, family: 4 },
  { iface: 'tap1234abcd-56', address: '169.254.1.1', prefixLength: 32, family: 4 },
  { iface: 'eth1', address: '192.168.7.4', prefixLength: 24, family: 4 },
  { iface: 'eth0', address: '10.0.0.11', prefixLength: 24, family: 4 },
  { iface: 'docker0', address: '172.17.0.1', prefixLength: 16, family: 4 },
  { iface: 'eth0', address: 'fe80::1', prefixLength: 64, family: 6 },
  { iface: 'eth0', address: 'fd00:99::11', prefixLength: 64, family: 6 },
];
const deps: DetectDeps = {
  addresses: () => ADDRS,
  sourceAddressFor: async (dest) => (dest.startsWith('192.168.') ? '192.168.7.4' : '10.0.0.11'),
};

describe('autodetectAddress()', () => {
  const cases: [string, 4 | 6, string, string | undefined][] = [
    ['first-found skips lo, docker and taps and sorts by interface name', 4, 'first-found', '10.0.0.11/24'],
    ['first-found skips link-local IPv6', 6, 'first-found', 'fd00:99::11/64'],
    ['interface= matches a regex', 4, 'interface=eth1', '192.168.7.4/24'],
    ['interface= takes a list', 4, 'interface=nope,eth.*', '10.0.0.11/24'],
    ['skip-interface= skips matches', 4, 'skip-interface=eth0', '192.168.7.4/24'],
    ['cidr= picks the address inside', 4, 'cidr=192.168.0.0/16', '192.168.7.4/24'],
    ['can-reach= uses the kernel\'s source address with its interface prefix', 4, 'can-reach=192.168.7.1', '192.168.7.4/24'],
    ['nothing qualifies', 4, 'interface=wlan.*', undefined],
  ];
  for (const [name, family, method, expected] of cases) {
    it(`autodetectAddress() ${name}`, async () => {
      assert.equal(await autodetectAddress(family, parseAutodetectMethod(method), deps), expected);
    });
  }
  it('parseAutodetectMethod() rejects unknown methods and bad values', () => {
    assert.throws(() => parseAutodetectMethod('magic'), AddressConfigError);
    assert.throws(() => parseAutodetectMethod('cidr=10.0.0.0/99'), /invalid CIDR "10.0.0.0\/99"/);
    assert.throws(() => parseAutodetectMethod('interface=('), /invalid interface regular expression/);
  });
});

describe('resolveNodeRegistration()', () => {
  it('resolveNodeRegistration() follows calico-node\'s IP/IP6/AS rules', async () => {
    const r = (env: Record<string, string>, stored = {}) => resolveNodeRegistration('n1', env, stored, deps);
    assert.deepEqual(await r({}), { name: 'n1', ipv4: { set: '10.0.0.11/24' }, ipv6: 'keep' });
    assert.deepEqual((await r({}, { ipv4: '10.0.0.99/24' })).ipv4, 'keep', 'unset IP keeps a stored address');
    assert.deepEqual((await r({ IP: 'autodetect' }, { ipv4: '10.0.0.99/24' })).ipv4, { set: '10.0.0.11/24' });
    assert.deepEqual((await r({ IP: 'none' })).ipv4, 'remove');
    assert.deepEqual((await r({ IP: '192.168.7.4' })).ipv4, { set: '192.168.7.4/24' }, 'a bare address gets its interface prefix');
    assert.deepEqual((await r({ IP: '10.1.2.3/16' })).ipv4, { set: '10.1.2.3/16' });
    assert.deepEqual((await r({ IP6: 'autodetect' })).ipv6, { set: 'fd00:99::11/64' });
    assert.equal((await r({ AS: '64513' })).asNumber, 64513);
    assert.equal((await r({ AS: '1.10' })).asNumber, 65546);
    await assert.rejects(r({ IP: 'fd00::1' }), /IP: "fd00::1" is not an IPv4 address or CIDR/);
    await assert.rejects(r({ AS: 'x' }), /AS: "x" is not an AS number/);
    await assert.rejects(r({ IP_AUTODETECTION_METHOD: 'interface=wlan0' }), /found no IPv4 address/);
  });
});

describe('registerNode()', () => {
  const reg = { name: 'compute-1', ipv4: { set: '10.0.0.11/24' }, ipv6: 'keep' as const, asNumber: 64513 };

  it('registerNode() creates a missing Node', async () => {
    const client = new Client(new MemoryStore());
    const node = await registerNode(client, 'compute-1', async () => reg, SILENT_LOGGER);
    assert.deepEqual(node.spec, { bgp: { ipv4Address: '10.0.0.11/24', asNumber: 64513 } });
  });

  it('registerNode() keeps fields others own and does not write when nothing changes', async () => {
    const store = new MemoryStore();
    const client = new Client(store);
    await client.create({
      apiVersion: 'projectcalico.org/v3', kind: 'Node',
      metadata: { name: 'compute-1', labels: { 'route-reflector': 'true' } },
      spec: { bgp: { ipv4Address: '10.0.0.5/24', routeReflectorClusterID: '244.0.0.1' }, ipv4VXLANTunnelAddr: '10.65.9.1' },
    });
    const node = await registerNode(client, 'compute-1', async () => reg, SILENT_LOGGER);
    assert.deepEqual(node.metadata.labels, { 'route-reflector': 'true' });
    assert.deepEqual(node.spec, { bgp: { ipv4Address: '10.0.0.11/24', routeReflectorClusterID: '244.0.0.1', asNumber: 64513 }, ipv4VXLANTunnelAddr: '10.65.9.1' });
    const again = await registerNode(client, 'compute-1', async () => reg, SILENT_LOGGER);
    assert.equal(again.metadata.resourceVersion, node.metadata.resourceVersion, 'no second write');
  });

  it('registerNode() retries when another writer updates the Node in between', async () => {
    const client = new Client(new MemoryStore());
    await client.create({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'compute-1' }, spec: {} });
    let calls = 0;
    const node = await registerNode(client, 'compute-1', async () => {
      // The agent writes its VXLAN address between our read and our write, once.
      if (calls++ === 0) {
        const current = await client.get({ kind: 'Node', name: 'compute-1' });
        await client.update({ ...current, spec: { ...(current.spec as object), ipv4VXLANTunnelAddr: '10.65.9.1' } } as Resource);
      }
      return reg;
    }, SILENT_LOGGER);
    assert.equal(calls, 2);
    assert.deepEqual(node.spec, { ipv4VXLANTunnelAddr: '10.65.9.1', bgp: { ipv4Address: '10.0.0.11/24', asNumber: 64513 } });
  });

  it('applyRegistration() drops an emptied bgp block', () => {
    const existing: Resource = { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'n' }, spec: { bgp: { ipv4Address: '10.0.0.1/24' } } };
    assert.deepEqual(applyRegistration(existing, { name: 'n', ipv4: 'remove', ipv6: 'keep' })?.spec, {});
  });
});
