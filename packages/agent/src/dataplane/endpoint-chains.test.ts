import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { NftChain } from '../drivers/nftables/model.ts';
import { policyKey, type LocalEndpoint, type PolicyID } from '../messages.ts';
import { commonEndpointChains, renderEndpointChains, type ChainLookup } from './endpoint-chains.ts';
import { allocateMarks } from './marks.ts';
import { resolveDataplaneOptions, type DataplaneOptions } from './options.ts';

const web: PolicyID = { kind: 'NetworkPolicy', namespace: 'openstack-region-r1', name: 'ossg.default.web' };
const dflt: PolicyID = { kind: 'NetworkPolicy', namespace: 'openstack-region-r1', name: 'ossg.default.default' };
const admin: PolicyID = { kind: 'GlobalNetworkPolicy', name: 'admin.allow-ssh' };

function endpoint(partial: Partial<LocalEndpoint> = {}): LocalEndpoint {
  return {
    interfaceName: 'tap1a2b3c4d-5e', orchestrator: 'openstack', workload: 'openstack-region-r1/vm', endpoint: 'port',
    ipv4Nets: ['10.65.0.17/32'], ipv6Nets: [], ipv4NAT: [], ipv6NAT: [], profileIds: ['openstack-baseline'],
    tiers: [{ name: 'default', defaultAction: 'Deny', ingressPolicies: [web, dflt], egressPolicies: [dflt] }],
    allowSpoofedSourcePrefixes: [],
    ...partial,
  };
}

const known: ChainLookup = { hasPolicy: () => true, hasProfile: () => true };

function text(c: NftChain): string {
  return c.rules.map((r) => `${r.body}${r.comment ? `  # ${r.comment}` : ''}`).join('\n');
}

function render(ep: LocalEndpoint, options: Partial<DataplaneOptions> = {}, lookup: ChainLookup = known) {
  const o = resolveDataplaneOptions(options);
  return renderEndpointChains(ep, o, allocateMarks(o.markMask), lookup);
}

describe('renderEndpointChains', () => {
  it('renderEndpointChains() renders the ingress chain: common start, tier, policies, end-of-tier drop, profiles, default drop', () => {
    const { to } = render(endpoint());
    assert.equal(to.name, 'tw-tap1a2b3c4d-5e');
    assert.equal(text(to), `jump to-wl-common
meta mark set meta mark & 0xfffdffff  # Start of tier default
meta mark & 0x00020000 == 0x00000000 jump pi-np/openstack-region-r1/ossg.default.web
meta mark & 0x00010000 == 0x00010000 return  # Return if policy accepted
meta mark & 0x00020000 == 0x00000000 jump pi-np/openstack-region-r1/ossg.default.default
meta mark & 0x00010000 == 0x00010000 return  # Return if policy accepted
meta mark & 0x00020000 == 0x00000000 counter drop  # End of tier default. Drop if no policies passed packet
jump pri-openstack-baseline
meta mark & 0x00010000 == 0x00010000 return  # Return if profile accepted
counter drop  # Drop if no profiles matched`);
  });

  it('renderEndpointChains() renders the egress chain', () => {
    const { from } = render(endpoint());
    assert.equal(from.name, 'fw-tap1a2b3c4d-5e');
    assert.equal(text(from), `jump from-wl-common
meta mark set meta mark & 0xfffdffff  # Start of tier default
meta mark & 0x00020000 == 0x00000000 jump po-np/openstack-region-r1/ossg.default.default
meta mark & 0x00010000 == 0x00010000 return  # Return if policy accepted
meta mark & 0x00020000 == 0x00000000 counter drop  # End of tier default. Drop if no policies passed packet
jump pro-openstack-baseline
meta mark & 0x00010000 == 0x00010000 return  # Return if profile accepted
counter drop  # Drop if no profiles matched`);
  });

  it('renderEndpointChains() skips tiers without policies for the direction and omits the end-of-tier drop for Pass tiers', () => {
    const ep = endpoint({
      profileIds: [],
      tiers: [
        { name: 'admin', defaultAction: 'Pass', ingressPolicies: [admin], egressPolicies: [] },
        { name: 'default', defaultAction: 'Deny', ingressPolicies: [], egressPolicies: [dflt] },
      ],
    });
    const { to, from } = render(ep);
    assert.match(text(to), /# Start of tier admin\n.*jump pi-gnp\/admin\.allow-ssh\n.*# Return if policy accepted\ncounter drop {2}# Drop if no profiles matched$/);
    assert.doesNotMatch(text(to), /tier default|End of tier/);
    assert.doesNotMatch(text(from), /tier admin/);
    assert.match(text(from), /End of tier default/);
  });

  it('renderEndpointChains() with no tiers and no profiles drops everything not established', () => {
    const { to } = render(endpoint({ tiers: [], profileIds: [] }));
    assert.equal(text(to), 'jump to-wl-common\ncounter drop  # Drop if no profiles matched');
  });

  it('renderEndpointChains() drops in place of a policy or profile whose chain does not exist', () => {
    const lookup: ChainLookup = { hasPolicy: (id) => policyKey(id) !== policyKey(web), hasProfile: () => false };
    const { to } = render(endpoint(), {}, lookup);
    assert.match(text(to), /counter drop {2}# Unknown policy NetworkPolicy\/openstack-region-r1\/ossg\.default\.web\n/);
    assert.match(text(to), /counter drop {2}# Unknown profile openstack-baseline\n/);
    assert.doesNotMatch(text(to), /jump pi-np\/openstack-region-r1\/ossg\.default\.web|jump pri-/);
  });

  it('commonEndpointChains() holds conntrack, mark clearing and, for egress, the encapsulation drops', () => {
    const o = resolveDataplaneOptions();
    const [to, from] = commonEndpointChains(o, allocateMarks(o.markMask));
    assert.equal(to!.name, 'to-wl-common');
    assert.equal(text(to!), `ct state established,related accept
ct state invalid counter drop
meta mark set meta mark & 0xfff8ffff`);
    assert.equal(from!.name, 'from-wl-common');
    assert.equal(text(from!), `ct state established,related accept
ct state invalid counter drop
meta mark set meta mark & 0xfff8ffff
meta l4proto udp th dport 4789 counter drop  # Drop VXLAN encapped packets originating in workloads
meta l4proto 4 counter drop  # Drop IPinIP encapped packets originating in workloads`);
  });

  it('renderEndpointChains() follows FilterAllowAction, FilterDenyAction, the invalid check and the encapsulation options', () => {
    const options: Partial<DataplaneOptions> = { filterAllowAction: 'return', filterDenyAction: 'reject', disableConntrackInvalidCheck: true, allowVXLANFromWorkloads: true, allowIPIPFromWorkloads: true };
    const { to } = render(endpoint(), options);
    // Established traffic returns from the common chain with the accept bit set, and then from here.
    assert.match(text(to), /^jump to-wl-common\nmeta mark & 0x00010000 == 0x00010000 return {2}# Return if established\n/);
    assert.match(text(to), /counter reject {2}# Reject if no profiles matched$/);
    const o = resolveDataplaneOptions(options);
    const [common, commonFrom] = commonEndpointChains(o, allocateMarks(o.markMask));
    assert.equal(text(common!), 'ct state established,related meta mark set meta mark | 0x00010000 return\nmeta mark set meta mark & 0xfff8ffff');
    assert.doesNotMatch(text(commonFrom!), /4789|l4proto 4 |invalid/);
  });

  it('renderEndpointChains() gives an endpoint with limits its own start: packet rate first, connection limit after conntrack', () => {
    const { to, from } = render(endpoint({ qosControls: { ingressPacketRate: 1000, ingressPacketBurst: 50, egressMaxConnections: 10 } }));
    assert.deepEqual(to.rules.slice(0, 4).map((r) => r.body), ['limit rate over 1000/second burst 50 packets counter drop', 'ct state established,related accept', 'ct state invalid counter drop', 'meta mark set meta mark & 0xfff8ffff']);
    assert.deepEqual(from.rules.slice(0, 6).map((r) => r.body), [
      'ct state established,related accept', 'ct state invalid counter drop', 'meta l4proto tcp ct count over 10 counter reject with tcp reset',
      'meta mark set meta mark & 0xfff8ffff', 'meta l4proto udp th dport 4789 counter drop', 'meta l4proto 4 counter drop',
    ]);
    assert.ok(!to.rules.some((r) => r.body.includes('ct count') || r.body === 'jump to-wl-common'));
  });

  it('renderEndpointChains() uses the mark bits of the configured mask', () => {
    const { to } = render(endpoint(), { markMask: 0x0000f000 });
    assert.match(text(to), /meta mark & 0x00002000 == 0x00000000 jump/);
    assert.match(text(to), /meta mark & 0x00001000 == 0x00001000 return/);
  });
});
