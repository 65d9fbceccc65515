/**
 * Tests of this host's VXLAN tunnel address: the deterministic choice (table-driven) and the
 * allocator's compare-and-swap write of the Node over a MemoryStore, keeping other fields.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Resource } from '@percale/api';
import { MemoryStore } from '@percale/datastore';
import { vtepMACForNode } from '../calc/tunnel-route-resolver.ts';
import { chooseTunnelAddress, type TunnelAddressInput, type TunnelPool } from './choose-tunnel-address.ts';
import { TunnelAddressAllocator } from './tunnel-address-allocator.ts';

const vx = (cidr: string, extra: Partial<TunnelPool> = {}): TunnelPool => ({ name: 'vx', cidr, vxlanMode: 'Always', disabled: false, ...extra });

function choose(partial: Partial<TunnelAddressInput>): ReturnType<typeof chooseTunnelAddress> {
  return chooseTunnelAddress({ hostname: 'compute-1', current: undefined, pools: [vx('10.65.0.0/29')], otherNodes: new Map(), workloadIPs: new Set(), ...partial });
}

describe('chooseTunnelAddress', () => {
  const cases: { name: string; input: Partial<TunnelAddressInput>; want: ReturnType<typeof chooseTunnelAddress> | RegExp }[] = [
    { name: 'keeps a valid current address', input: { current: '10.65.0.3' }, want: { address: '10.65.0.3', reason: 'kept' } },
    { name: 'keeps it against a Node with a larger name', input: { current: '10.65.0.3', otherNodes: new Map([['compute-2', '10.65.0.3']]) }, want: { address: '10.65.0.3', reason: 'kept' } },
    { name: 'gives it up to a Node with a smaller name', input: { current: '10.65.0.3', otherNodes: new Map([['compute-0', '10.65.0.3']]) }, want: /^10\.65\.0\.[1-6]$/ },
    { name: 'gives it up to a workload', input: { current: '10.65.0.3', workloadIPs: new Set(['10.65.0.3']) }, want: /^10\.65\.0\.[1-6]$/ },
    { name: 'replaces an address outside every VXLAN pool', input: { current: '192.0.2.1' }, want: /^10\.65\.0\.[1-6]$/ },
    { name: 'never the network or broadcast address', input: { current: '10.65.0.7' }, want: /^10\.65\.0\.[1-6]$/ },
    { name: 'no address without an enabled IPv4 VXLAN pool', input: { current: '10.65.0.3', pools: [vx('10.65.0.0/29', { disabled: true }), vx('fd00::/64'), vx('10.66.0.0/24', { vxlanMode: 'Never' })] }, want: { address: undefined, reason: 'no-vxlan-pool' } },
    {
      name: 'the only free address when the rest are taken',
      input: { workloadIPs: new Set(['10.65.0.1', '10.65.0.2', '10.65.0.4', '10.65.0.5']), otherNodes: new Map([['compute-9', '10.65.0.6']]) },
      want: { address: '10.65.0.3', reason: 'chosen' },
    },
    { name: 'nothing when the pool is full', input: { workloadIPs: new Set(['10.65.0.1', '10.65.0.2', '10.65.0.3', '10.65.0.4', '10.65.0.5', '10.65.0.6']) }, want: { address: undefined, reason: 'pools-full' } },
  ];
  for (const c of cases) {
    it(`chooseTunnelAddress() ${c.name}`, () => {
      const got = choose(c.input);
      if (c.want instanceof RegExp) {
        assert.equal(got.reason, 'chosen');
        assert.match(got.address!, c.want);
        assert.notEqual(got.address, c.input.current);
      } else {
        assert.deepEqual(got, c.want);
      }
    });
  }

  it('chooseTunnelAddress() is deterministic per host and spreads hosts over the pool', () => {
    const pools = [vx('10.65.0.0/16')];
    const a = chooseTunnelAddress({ hostname: 'compute-1', current: undefined, pools, otherNodes: new Map(), workloadIPs: new Set() });
    assert.deepEqual(chooseTunnelAddress({ hostname: 'compute-1', current: undefined, pools, otherNodes: new Map(), workloadIPs: new Set() }), a);
    const picks = new Set(Array.from({ length: 50 }, (_, i) => chooseTunnelAddress({ hostname: `compute-${i}`, current: undefined, pools, otherNodes: new Map(), workloadIPs: new Set() }).address));
    assert.equal(picks.size, 50);
  });
});

const API = 'projectcalico.org/v3';
const silent = { info() {}, warn() {} };

async function seeded(spec: Record<string, unknown>): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.create({ apiVersion: API, kind: 'Node', metadata: { name: 'compute-1', labels: { rack: 'r1' } }, spec });
  await store.create({ apiVersion: API, kind: 'Node', metadata: { name: 'compute-0' }, spec: { bgp: { ipv4Address: '10.0.0.2/24' }, ipv4VXLANTunnelAddr: '10.65.0.1' } });
  await store.create({ apiVersion: API, kind: 'IPPool', metadata: { name: 'vx' }, spec: { cidr: '10.65.0.0/29', vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true, blockSize: 29, nodeSelector: 'all()' } });
  return store;
}

async function nodeSpec(store: MemoryStore): Promise<Record<string, unknown>> {
  return (await store.get({ kind: 'Node', name: 'compute-1' })).spec as Record<string, unknown>;
}

describe('TunnelAddressAllocator', () => {
  it('reconcileNow() writes a free tunnel address and the default MAC, keeping the Node\'s other fields', async () => {
    const store = await seeded({ bgp: { ipv4Address: '10.0.0.1/24', asNumber: 64512 }, orchRefs: [{ nodeName: 'compute-1', orchestrator: 'openstack' }] });
    const allocator = new TunnelAddressAllocator({ store, hostname: 'compute-1', log: silent });
    allocator.onInSync();
    await allocator.reconcileNow();
    const spec = await nodeSpec(store);
    assert.match(String(spec.ipv4VXLANTunnelAddr), /^10\.65\.0\.[2-6]$/, 'not compute-0\'s 10.65.0.1');
    assert.equal(spec.vxlanTunnelMACAddr, vtepMACForNode('compute-1'));
    assert.deepEqual(spec.bgp, { ipv4Address: '10.0.0.1/24', asNumber: 64512 });
    assert.deepEqual(spec.orchRefs, [{ nodeName: 'compute-1', orchestrator: 'openstack' }]);
    assert.deepEqual((await store.get({ kind: 'Node', name: 'compute-1' })).metadata.labels, { rack: 'r1' });
    await allocator.stop();
  });

  it('reconcileNow() keeps an operator-set address and MAC, and removes the address with the last VXLAN pool', async () => {
    const store = await seeded({ bgp: { ipv4Address: '10.0.0.1/24' }, ipv4VXLANTunnelAddr: '10.65.0.5', vxlanTunnelMACAddr: '66:01:02:03:04:05' });
    const allocator = new TunnelAddressAllocator({ store, hostname: 'compute-1', log: silent });
    allocator.onInSync();
    const before = (await store.get({ kind: 'Node', name: 'compute-1' })).metadata.resourceVersion;
    await allocator.reconcileNow();
    assert.equal((await store.get({ kind: 'Node', name: 'compute-1' })).metadata.resourceVersion, before, 'nothing to write');
    await store.delete({ kind: 'IPPool', name: 'vx' });
    await allocator.reconcileNow();
    const spec = await nodeSpec(store);
    assert.equal(spec.ipv4VXLANTunnelAddr, undefined);
    assert.equal(spec.vxlanTunnelMACAddr, '66:01:02:03:04:05');
    await allocator.stop();
  });

  it('reconcileNow() retries its compare-and-swap when someone else updates the Node in between', async () => {
    const store = await seeded({ bgp: { ipv4Address: '10.0.0.1/24' } });
    const realUpdate = store.update.bind(store);
    let interfered = false;
    store.update = async (r: Resource) => {
      if (!interfered) {
        interfered = true;
        const current = await store.get({ kind: 'Node', name: 'compute-1' });
        await realUpdate({ ...current, spec: { ...current.spec, bgp: { ipv4Address: '10.0.0.1/24', asNumber: 65001 } } });
      }
      return realUpdate(r);
    };
    const allocator = new TunnelAddressAllocator({ store, hostname: 'compute-1', log: silent });
    allocator.onInSync();
    await allocator.reconcileNow();
    const spec = await nodeSpec(store);
    assert.deepEqual(spec.bgp, { ipv4Address: '10.0.0.1/24', asNumber: 65001 }, 'the other writer\'s change survives');
    assert.ok(typeof spec.ipv4VXLANTunnelAddr === 'string');
    await allocator.stop();
  });
});

describe('TunnelAddressAllocator workload checks', () => {
  it('onEvent() of a workload taking our tunnel address moves it; other runs do not list workloads', async () => {
    const store = await seeded({ bgp: { ipv4Address: '10.0.0.1/24' }, ipv4VXLANTunnelAddr: '10.65.0.5' });
    let workloadLists = 0;
    const realList = store.list.bind(store);
    store.list = (q, o) => {
      if (q.kind === 'WorkloadEndpoint') workloadLists++;
      return realList(q, o);
    };
    const allocator = new TunnelAddressAllocator({ store, hostname: 'compute-1', log: silent });
    allocator.onEvent({ type: 'ADDED', resource: await store.get({ kind: 'Node', name: 'compute-1' }), revision: '1' });
    allocator.onInSync();
    await allocator.reconcileNow();
    assert.equal(workloadLists, 1, 'the first run checks the workloads');
    await allocator.reconcileNow();
    assert.equal(workloadLists, 1, 'later runs that keep the address do not');
    const vm = await store.create({
      apiVersion: API, kind: 'WorkloadEndpoint', metadata: { namespace: 'openstack-region-r1', name: 'compute--2-openstack-vm-port' },
      spec: { node: 'compute-2', orchestrator: 'openstack', workload: 'vm', endpoint: 'port', interfaceName: 'tapport', ipNetworks: ['10.65.0.5/32'] },
    });
    allocator.onEvent({ type: 'ADDED', resource: vm, revision: '2' });
    await allocator.reconcileNow();
    const spec = await nodeSpec(store);
    assert.notEqual(spec.ipv4VXLANTunnelAddr, '10.65.0.5');
    assert.match(String(spec.ipv4VXLANTunnelAddr), /^10\.65\.0\.[2-6]$/);
    await allocator.stop();
  });
});
