import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeNft } from '../drivers/nftables/testing/fake-nft.ts';
import type { DataplaneMessage, EndpointID, LocalEndpoint, PolicyID, PolicyRules, Rule } from '../messages.ts';
import { Dataplane } from './dataplane.ts';
import type { DataplaneOptions } from './options.ts';

function rule(partial: Partial<Rule>): Rule {
  return {
    action: 'allow', srcNets: [], notSrcNets: [], dstNets: [], notDstNets: [], srcPorts: [], notSrcPorts: [], dstPorts: [], notDstPorts: [],
    srcIPSets: [], notSrcIPSets: [], dstIPSets: [], notDstIPSets: [], srcNamedPortIPSets: [], notSrcNamedPortIPSets: [], dstNamedPortIPSets: [], notDstNamedPortIPSets: [],
    ...partial,
  };
}

const sg: PolicyID = { kind: 'NetworkPolicy', namespace: 'openstack-region-r1', name: 'ossg.default.web' };
const sgRules: PolicyRules = {
  tier: 'default', untracked: false, preDNAT: false, applyOnForward: false,
  inbound: [rule({ ipVersion: 4, protocol: 6, dstPorts: [{ first: 80, last: 80 }] }), rule({ srcIPSets: ['s:web'] })],
  outbound: [rule({})],
};
const ep1: EndpointID = { namespace: 'openstack-region-r1', name: 'compute--1-openstack-vm1-port1' };
const ep2: EndpointID = { namespace: 'openstack-region-r1', name: 'compute--1-openstack-vm2-port2' };

function endpoint(iface: string, ip: string, partial: Partial<LocalEndpoint> = {}): LocalEndpoint {
  return {
    interfaceName: iface, orchestrator: 'openstack', workload: 'openstack-region-r1/vm', endpoint: 'port',
    ipv4Nets: [`${ip}/32`], ipv6Nets: [], ipv4NAT: [], ipv6NAT: [], profileIds: [],
    tiers: [{ name: 'default', defaultAction: 'Deny', ingressPolicies: [sg], egressPolicies: [sg] }],
    allowSpoofedSourcePrefixes: [],
    ...partial,
  };
}

const base: DataplaneMessage[] = [
  { type: 'ipset-update', id: 's:web', setType: 'net', members: ['10.65.0.17/32', '10.65.3.9/32'] },
  { type: 'policy-update', id: sg, policy: sgRules },
  { type: 'endpoint-update', id: ep1, endpoint: endpoint('tap1', '10.65.0.17') },
  { type: 'ippool-update', id: 'pool1', pool: { cidr: '10.65.0.0/16', natOutgoing: false, disabled: false, ipipMode: 'Never', vxlanMode: 'Never', disableBGPExport: false } },
  { type: 'in-sync' },
];

async function started(nft: FakeNft, messages: readonly DataplaneMessage[] = base, options: Partial<DataplaneOptions> = {}): Promise<Dataplane> {
  const dp = new Dataplane({ tableName: 'pt', ...options }, { exec: nft.exec, monitor: false, retryDelayMs: 1 });
  for (const m of messages) dp.onMessage(m);
  await dp.apply();
  return dp;
}

/** The last transaction with hashes masked. */
function lastTx(nft: FakeNft): string {
  return nft.transactions.at(-1)!.replace(/pc:[A-Za-z0-9_-]{16}/g, 'pc:<h>');
}

describe('Dataplane', () => {
  it('apply() touches nothing in the kernel before the calculation graph is in sync', async () => {
    const nft = new FakeNft();
    const dp = await started(nft, base.slice(0, -1));
    const r = await dp.apply();
    assert.equal(r.programmed, false);
    assert.equal(nft.transactions.length + nft.lists, 0);
    dp.onMessage({ type: 'in-sync' });
    const after = await dp.apply();
    assert.deepEqual({ programmed: after.programmed, wrote: after.wrote, read: after.read }, { programmed: true, wrote: true, read: true });
    assert.deepEqual(after.endpoints, [{ id: ep1, status: 'programmed' }]);
  });

  it('apply() programs the full state in one transaction, then nothing until something changes', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    assert.equal(nft.transactions.length, 1);
    assert.equal(nft.lists, 1);
    const r = await dp.apply();
    assert.deepEqual({ wrote: r.wrote, read: r.read, endpoints: r.endpoints }, { wrote: false, read: false, endpoints: [] });
  });

  it('apply() adds one endpoint with one small transaction: its chains, dispatch entries and source addresses', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    dp.onMessage({ type: 'endpoint-update', id: ep2, endpoint: endpoint('tap2', '10.65.0.18') });
    const r = await dp.apply();
    assert.deepEqual(r.endpoints, [{ id: ep2, status: 'programmed' }]);
    assert.equal(lastTx(nft), `table inet pt {
\tchain tw-tap2 {
\t\tcomment "To workload interface tap2"
\t\tjump to-wl-common comment "pc:<h>"
\t\tmeta mark set meta mark & 0xfffdffff comment "pc:<h>; Start of tier default"
\t\tmeta mark & 0x00020000 == 0x00000000 jump pi-np/openstack-region-r1/ossg.default.web comment "pc:<h>"
\t\tmeta mark & 0x00010000 == 0x00010000 return comment "pc:<h>; Return if policy accepted"
\t\tmeta mark & 0x00020000 == 0x00000000 counter drop comment "pc:<h>; End of tier default. Drop if no policies passed packet"
\t\tcounter drop comment "pc:<h>; Drop if no profiles matched"
\t}
\tchain fw-tap2 {
\t\tcomment "From workload interface tap2"
\t\tjump from-wl-common comment "pc:<h>"
\t\tmeta mark set meta mark & 0xfffdffff comment "pc:<h>; Start of tier default"
\t\tmeta mark & 0x00020000 == 0x00000000 jump po-np/openstack-region-r1/ossg.default.web comment "pc:<h>"
\t\tmeta mark & 0x00010000 == 0x00010000 return comment "pc:<h>; Return if policy accepted"
\t\tmeta mark & 0x00020000 == 0x00000000 counter drop comment "pc:<h>; End of tier default. Drop if no policies passed packet"
\t\tcounter drop comment "pc:<h>; Drop if no profiles matched"
\t}
}
add element inet pt to-wl { "tap2" : goto tw-tap2 }
add element inet pt from-wl { "tap2" : goto fw-tap2 }
add element inet pt wl-src4 { "tap2" . 10.65.0.18 }
`);
  });

  it('apply() removes one endpoint with one small transaction', async () => {
    const nft = new FakeNft();
    const dp = await started(nft, [...base.slice(0, -1), { type: 'endpoint-update', id: ep2, endpoint: endpoint('tap2', '10.65.0.18') }, { type: 'in-sync' }]);
    dp.onMessage({ type: 'endpoint-remove', id: ep2 });
    const r = await dp.apply();
    assert.deepEqual(r.endpoints, [{ id: ep2, status: 'removed' }]);
    assert.equal(lastTx(nft), `delete element inet pt to-wl { "tap2" }
delete element inet pt from-wl { "tap2" }
delete element inet pt wl-src4 { "tap2" . 10.65.0.18 }
flush chain inet pt tw-tap2
flush chain inet pt fw-tap2
delete chain inet pt tw-tap2
delete chain inet pt fw-tap2
`);
  });

  it('apply() turns an IP set member change into one element command', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    dp.onMessage({ type: 'ipset-delta', id: 's:web', added: ['10.65.7.7/32'], removed: [] });
    await dp.apply();
    assert.equal(lastTx(nft), 'add element inet pt ip4-s-web { 10.65.7.7 }\n');
    dp.onMessage({ type: 'ipset-delta', id: 's:web', added: [], removed: ['10.65.0.17/32'] });
    await dp.apply();
    assert.equal(lastTx(nft), 'delete element inet pt ip4-s-web { 10.65.0.17 }\n');
  });

  it('apply() keeps overlapping IP set members as their cover', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    dp.onMessage({ type: 'ipset-delta', id: 's:web', added: ['10.0.0.0/8'], removed: [] });
    await dp.apply();
    assert.deepEqual([...nft.state.sets.get('ip4-s-web')!.elements.keys()], ['10.0.0.0/8']);
    dp.onMessage({ type: 'ipset-delta', id: 's:web', added: [], removed: ['10.0.0.0/8'] });
    await dp.apply();
    assert.deepEqual([...nft.state.sets.get('ip4-s-web')!.elements.keys()].sort(), ['10.65.0.17', '10.65.3.9']);
  });

  it('apply() turns an address set into an interval set at its first CIDR, re-creating it with the chains that use it', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    assert.equal(nft.state.sets.get('ip4-s-web')!.interval, false);
    dp.onMessage({ type: 'ipset-delta', id: 's:web', added: ['192.168.0.0/24'], removed: [] });
    await dp.apply();
    assert.match(lastTx(nft), /^flush chain inet pt pi-np\/openstack-region-r1\/ossg\.default\.web\ndelete set inet pt ip4-s-web\ntable inet pt \{\n\tset ip4-s-web \{ type ipv4_addr; flags interval; \}\n\tchain pi-np\/openstack-region-r1\/ossg\.default\.web \{\n/);
    assert.match(lastTx(nft), /\nadd element inet pt ip4-s-web \{ 10\.65\.0\.17, 10\.65\.3\.9, 192\.168\.0\.0\/24 \}\n$/);
    assert.equal(nft.state.sets.get('ip4-s-web')!.interval, true);
    // Later changes are plain element updates again.
    dp.onMessage({ type: 'ipset-delta', id: 's:web', added: [], removed: ['192.168.0.0/24'] });
    await dp.apply();
    assert.equal(lastTx(nft), 'delete element inet pt ip4-s-web { 192.168.0.0/24 }\n');
  });

  it('apply() rewrites only the policy chain whose rules changed', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    dp.onMessage({ type: 'policy-update', id: sg, policy: { ...sgRules, inbound: [rule({ ipVersion: 4, protocol: 6, dstPorts: [{ first: 443, last: 443 }] })] } });
    await dp.apply();
    assert.equal(lastTx(nft), `flush chain inet pt pi-np/openstack-region-r1/ossg.default.web
table inet pt {
\tchain pi-np/openstack-region-r1/ossg.default.web {
\t\tmeta nfproto ipv4 meta l4proto tcp th dport 443 counter meta mark set meta mark | 0x00010000 return comment "pc:<h>; rule 0"
\t}
}
`);
  });

  it('apply() renders a jump to a policy that has not arrived as a drop, and the jump once it arrives', async () => {
    const nft = new FakeNft();
    const late: PolicyID = { kind: 'GlobalNetworkPolicy', name: 'late' };
    const ep = endpoint('tap1', '10.65.0.17', { tiers: [{ name: 'default', defaultAction: 'Deny', ingressPolicies: [late], egressPolicies: [] }] });
    const dp = await started(nft, [{ type: 'endpoint-update', id: ep1, endpoint: ep }, { type: 'in-sync' }]);
    assert.match(nft.transactions[0]!, /\tchain tw-tap1 \{\n(.*\n)*\t\tcounter drop comment "pc:[^;]+; Unknown policy GlobalNetworkPolicy\/late"/);
    dp.onMessage({ type: 'policy-update', id: late, policy: { ...sgRules, inbound: [rule({})], outbound: [] } });
    await dp.apply();
    assert.match(lastTx(nft), /^\tchain pi-gnp\/late \{$/m);
    assert.match(lastTx(nft), /^flush chain inet pt tw-tap1$/m);
    assert.match(lastTx(nft), /jump pi-gnp\/late/);
    // Removing the policy while the endpoint still names it must not fail the transaction.
    dp.onMessage({ type: 'policy-remove', id: late });
    const r = await dp.apply();
    assert.deepEqual({ wrote: r.wrote, errors: r.errors }, { wrote: true, errors: [] });
    assert.ok(!nft.state.chains.has('pi-gnp/late'));
  });

  it('apply() gives a shared interface to the endpoint with the lower key and hands it over when that one goes', async () => {
    const nft = new FakeNft();
    const dp = await started(nft, [...base.slice(0, -1), { type: 'endpoint-update', id: ep2, endpoint: endpoint('tap1', '10.65.0.99') }, { type: 'in-sync' }]);
    assert.deepEqual(dp.endpointStatus(ep1), { state: 'programmed' });
    assert.deepEqual(dp.endpointStatus(ep2), { state: 'failed', reason: 'interface tap1 belongs to endpoint openstack-region-r1/compute--1-openstack-vm1-port1' });
    assert.deepEqual([...nft.state.sets.get('wl-src4')!.elements.keys()], ['"tap1" . 10.65.0.17']);
    dp.onMessage({ type: 'endpoint-remove', id: ep1 });
    const r = await dp.apply();
    assert.deepEqual(r.endpoints.sort((a, b) => a.id.name.localeCompare(b.id.name)), [{ id: ep1, status: 'removed' }, { id: ep2, status: 'programmed' }]);
    assert.deepEqual([...nft.state.sets.get('wl-src4')!.elements.keys()], ['"tap1" . 10.65.0.99']);
    assert.ok(nft.state.chains.has('tw-tap1'));
  });

  it('apply() programs floating IPs as NAT map entries and source addresses, and removes them with the endpoint', async () => {
    const nft = new FakeNft();
    const fip = endpoint('tap2', '10.65.0.18', { ipv4NAT: [{ externalIP: '172.24.4.10', internalIP: '10.65.0.18' }] });
    const dp = await started(nft, [...base.slice(0, -1), { type: 'endpoint-update', id: ep2, endpoint: fip }, { type: 'in-sync' }]);
    assert.deepEqual([...nft.state.sets.get('fip-dnat4')!.elements], [['172.24.4.10', '10.65.0.18']]);
    assert.deepEqual([...nft.state.sets.get('fip-snat4')!.elements], [['10.65.0.18 . 10.65.0.18', '172.24.4.10']]);
    assert.ok(nft.state.sets.get('wl-src4')!.elements.has('"tap2" . 172.24.4.10'));
    dp.onMessage({ type: 'endpoint-remove', id: ep2 });
    await dp.apply();
    assert.equal(nft.state.sets.get('fip-dnat4')!.elements.size, 0);
    assert.equal(nft.state.sets.get('fip-snat4')!.elements.size, 0);
  });

  it('apply() honours allowSpoofedSourcePrefixes only with WorkloadSourceSpoofing=Any', async () => {
    const spoofy = endpoint('tap1', '10.65.0.17', { allowSpoofedSourcePrefixes: ['192.168.0.0/24'] });
    const msgs: DataplaneMessage[] = [{ type: 'endpoint-update', id: ep1, endpoint: spoofy }, { type: 'in-sync' }];
    const off = new FakeNft();
    await started(off, msgs);
    assert.deepEqual([...off.state.sets.get('wl-src4')!.elements.keys()], ['"tap1" . 10.65.0.17']);
    const on = new FakeNft();
    await started(on, msgs, { workloadSourceSpoofing: 'Any' });
    assert.deepEqual([...on.state.sets.get('wl-src4')!.elements.keys()], ['"tap1" . 10.65.0.17']);
    assert.deepEqual([...on.state.sets.get('wl-net4')!.elements.keys()], ['"tap1" . 192.168.0.0/24']);
  });

  it('apply() fills the nat-outgoing chain while a pool has natOutgoing', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    assert.equal(nft.state.chains.get('nat-outgoing')!.rules.length, 0);
    dp.onMessage({ type: 'ippool-update', id: 'pool1', pool: { cidr: '10.65.0.0/16', natOutgoing: true, disabled: false, ipipMode: 'Never', vxlanMode: 'Never', disableBGPExport: false } });
    await dp.apply();
    assert.equal(lastTx(nft), `flush chain inet pt nat-outgoing
table inet pt {
\tchain nat-outgoing {
\t\tip saddr @masq-pools4 ip daddr != @pools4 counter masquerade fully-random comment "pc:<h>; natOutgoing"
\t}
}
add element inet pt masq-pools4 { 10.65.0.0/16 }
`);
  });

  it('apply() keeps every pool, disabled or not, in the pool set and only natOutgoing pools in the masquerade set, per family', async () => {
    const nft = new FakeNft();
    const pool = (cidr: string, natOutgoing: boolean, disabled = false): DataplaneMessage =>
      ({ type: 'ippool-update', id: cidr, pool: { cidr, natOutgoing, disabled, ipipMode: 'Never', vxlanMode: 'Never', disableBGPExport: false } });
    await started(nft, [pool('10.65.0.0/16', true), pool('10.66.0.0/16', false), pool('10.67.0.0/16', true, true), pool('fd00::/64', true), pool('fd01::/64', false, true), { type: 'in-sync' }]);
    const elements = (set: string) => [...nft.state.sets.get(set)!.elements.keys()];
    assert.deepEqual(elements('pools4'), ['10.65.0.0/16', '10.66.0.0/16', '10.67.0.0/16']);
    assert.deepEqual(elements('masq-pools4'), ['10.65.0.0/16', '10.67.0.0/16']);
    assert.deepEqual(elements('pools6'), ['fd00::/64', 'fd01::/64']);
    assert.deepEqual(elements('masq-pools6'), ['fd00::/64']);
    assert.equal(nft.state.chains.get('nat-outgoing')!.rules.length, 2);
  });

  it('apply() adds the VXLAN chains and allowed-source set while an IPv4 pool uses VXLAN, and removes them after', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    assert.equal(nft.state.chains.has('tunnel-input'), false);
    const vxlanPool = (mode: string): DataplaneMessage =>
      ({ type: 'ippool-update', id: 'pool1', pool: { cidr: '10.65.0.0/16', natOutgoing: false, disabled: false, ipipMode: 'Never', vxlanMode: mode, disableBGPExport: false } });
    dp.onMessage(vxlanPool('Always'));
    dp.onMessage({ type: 'vtep-update', vtep: { node: 'compute-1', parentDeviceIP: '10.0.0.1', ipv4Addr: '10.65.255.1', mac: '66:00:00:00:00:01' } });
    dp.onMessage({ type: 'vtep-update', vtep: { node: 'compute-2', parentDeviceIP: '10.0.0.2', ipv4Addr: '10.65.255.2', mac: '66:00:00:00:00:02' } });
    await dp.apply();
    assert.equal(lastTx(nft), `table inet pt {
\tset vxlan-sources4 { type ipv4_addr; flags interval; }
\tchain tunnel-raw {
\t\ttype filter hook prerouting priority -300; policy accept;
\t\tudp dport 4789 fib daddr type local notrack comment "pc:<h>; VXLAN is not connection-tracked"
\t}
\tchain tunnel-input {
\t\ttype filter hook input priority 0; policy accept;
\t\tip saddr @vxlan-sources4 udp dport 4789 fib daddr type local counter accept comment "pc:<h>; Allow VXLAN packets from allowed hosts"
\t\tudp dport 4789 fib daddr type local counter drop comment "pc:<h>; Drop VXLAN packets from non-allowed hosts"
\t}
\tchain tunnel-snat {
\t\ttype nat hook postrouting priority 110; policy accept;
\t\toifname "vxlan.calico" fib saddr . oif type != local fib saddr type local counter masquerade comment "pc:<h>; Host traffic into the tunnel leaves from the tunnel address"
\t}
}
add element inet pt vxlan-sources4 { 10.0.0.1, 10.0.0.2 }
`);
    dp.onMessage({ type: 'vtep-remove', node: 'compute-2' });
    await dp.apply();
    assert.equal(lastTx(nft), 'delete element inet pt vxlan-sources4 { 10.0.0.2 }\n');
    dp.onMessage(vxlanPool('Never'));
    await dp.apply();
    assert.deepEqual([nft.state.chains.has('tunnel-input'), nft.state.chains.has('tunnel-snat'), nft.state.sets.has('vxlan-sources4')], [false, false, false]);
  });

  it('apply() of a restarted agent fed the same messages reads the table and writes nothing', async () => {
    const nft = new FakeNft();
    (await started(nft)).close();
    const again = new Dataplane({ tableName: 'pt' }, { exec: nft.exec, monitor: false });
    for (const m of base) again.onMessage(m);
    const r = await again.apply();
    assert.deepEqual({ read: r.read, wrote: r.wrote }, { read: true, wrote: false });
    assert.deepEqual(r.endpoints, [{ id: ep1, status: 'programmed' }]);
    assert.equal(nft.transactions.length, 1);
  });

  it('apply() calls are serialised', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    dp.onMessage({ type: 'ipset-delta', id: 's:web', added: ['10.65.7.7/32'], removed: [] });
    const [a, b] = await Promise.all([dp.apply(), dp.apply()]);
    assert.deepEqual([a.wrote, b.wrote], [true, false]);
  });

  it('renderRuleset() prints the whole desired table', async () => {
    const nft = new FakeNft();
    const dp = await started(nft);
    const text = dp.renderRuleset();
    assert.match(text, /^table inet pt \{/);
    assert.match(text, /\tchain tw-tap1 \{/);
    assert.match(text, /\tset ip4-s-web \{\n\t\ttype ipv4_addr\n\t\telements = \{ 10\.65\.0\.17, 10\.65\.3\.9 \}/);
  });

  it('constructor rejects invalid options, naming each', () => {
    assert.throws(() => new Dataplane({ interfacePrefixes: ['t"ap'], metadataPort: 70000 }, { exec: new FakeNft().exec }), /interfacePrefixes "t\\"ap".*metadataPort 70000/);
  });
});
