import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { NftChain } from '../drivers/nftables/model.ts';
import { allocateMarks } from './marks.ts';
import { resolveDataplaneOptions, type DataplaneOptions } from './options.ts';
import { natOutgoingChain, staticChains, staticSets } from './static-chains.ts';

/** Chains as readable text: one line per rule, `# comment` after it. */
function text(chains: readonly NftChain[]): string {
  return chains.map((c) => [
    `chain ${c.name}${c.base ? ` [${c.base.type} ${c.base.hook} ${c.base.priority} ${c.base.policy}]` : ''}`,
    ...c.rules.map((r) => `  ${r.body}${r.comment ? `  # ${r.comment}` : ''}`),
  ].join('\n')).join('\n');
}

function render(options: Partial<DataplaneOptions> = {}): string {
  const o = resolveDataplaneOptions(options);
  return text(staticChains(o, allocateMarks(o.markMask)));
}

describe('staticChains', () => {
  it('staticChains() renders the OpenStack defaults', () => {
    assert.equal(render(), `chain raw-prerouting [filter prerouting -300 accept]
  iifname "tap*" jump anti-spoof
chain anti-spoof
  iifname . ip saddr @wl-src4 return
  iifname . ip saddr @wl-net4 return
  iifname . ip6 saddr @wl-src6 return
  iifname . ip6 saddr @wl-net6 return
  ip saddr 0.0.0.0 udp sport 68 udp dport 67 return  # DHCPv4 discovery
  ip6 saddr fe80::/10 return  # IPv6 link-local
  ip6 saddr :: icmpv6 type nd-neighbor-solicit return  # IPv6 duplicate address detection
  ip6 saddr :: icmpv6 type mld2-listener-report return  # MLD report before an address is assigned
  counter drop  # Source address not allowed for this workload
chain filter-input [filter input 0 accept]
  iifname "tap*" goto wl-to-host
chain wl-to-host
  icmpv6 type { 130, 131, 132, 133, 135, 136 } counter accept  # IPv6 neighbour discovery and MLD
  ip daddr 127.0.0.1 tcp dport 8775 counter accept  # OpenStack metadata
  meta nfproto ipv4 udp sport 68 udp dport 67 counter accept  # DHCPv4
  meta nfproto ipv6 udp sport 546 udp dport 547 counter accept  # DHCPv6
  udp dport 53 counter accept  # DNS
  counter jump from-wl-dispatch
  counter drop  # Configured DefaultEndpointToHostAction
chain filter-forward [filter forward 0 accept]
  meta mark set meta mark & 0xfff8ffff
  iifname "tap*" jump from-wl-dispatch
  oifname "tap*" jump to-wl-dispatch
chain from-wl-dispatch
  iifname vmap @from-wl
  counter drop  # Drop unknown interface
chain to-wl-dispatch
  oifname vmap @to-wl
  counter drop  # Drop unknown interface
chain nat-prerouting [nat prerouting -100 accept]
  dnat ip to ip daddr map @fip-dnat4  # Floating IPs
  dnat ip6 to ip6 daddr map @fip-dnat6  # Floating IPs
  ip daddr 169.254.169.254 tcp dport 80 counter dnat ip to 127.0.0.1:8775  # OpenStack metadata
chain nat-output [nat output -100 accept]
  dnat ip to ip daddr map @fip-dnat4  # Floating IPs
  dnat ip6 to ip6 daddr map @fip-dnat6  # Floating IPs
chain nat-postrouting [nat postrouting 110 accept]
  snat ip to ip saddr . ip daddr map @fip-snat4  # Floating IP hairpin
  snat ip6 to ip6 saddr . ip6 daddr map @fip-snat6  # Floating IP hairpin
  jump nat-outgoing`);
  });

  it('staticChains() dispatches every interface prefix', () => {
    const out = render({ interfacePrefixes: ['tap', 'cali'] });
    for (const line of ['iifname "tap*" jump anti-spoof', 'iifname "cali*" jump anti-spoof', 'iifname "cali*" goto wl-to-host', 'oifname "cali*" jump to-wl-dispatch']) {
      assert.ok(out.includes(`  ${line}`), line);
    }
  });

  it('staticChains() drops IPv6 to and from workloads when IPv6 support is off, keeping neighbour discovery to the host', () => {
    const out = render({ ipv6Support: false });
    assert.match(out, /chain wl-to-host\n {2}icmpv6 type \{ 130, 131, 132, 133, 135, 136 \} counter accept.*\n {2}meta nfproto ipv6 counter drop {2}# IPv6 support is disabled/);
    assert.match(out, /chain from-wl-dispatch\n {2}meta nfproto ipv6 counter drop/);
    assert.match(out, /chain to-wl-dispatch\n {2}meta nfproto ipv6 counter drop/);
    assert.doesNotMatch(out, /wl-src6|wl-net6|fip-dnat6|fip-snat6|546/);
  });

  it('staticChains() leaves out the metadata rules for MetadataAddr=none and all special cases when OpenStack is off', () => {
    assert.doesNotMatch(render({ metadataAddr: undefined }), /169\.254|8775/);
    const off = render({ openStackSpecialCases: false });
    assert.doesNotMatch(off, /8775|dport 67 counter accept|dport 547|dport 53/);
    assert.match(off, /ip saddr 0\.0\.0\.0 udp sport 68 udp dport 67 return/, 'DHCP discovery still passes anti-spoofing');
  });

  it('staticChains() renders the configured metadata target, host action and deny verdict', () => {
    const out = render({ metadataAddr: '10.0.0.2', metadataPort: 8080, defaultEndpointToHostAction: 'return', filterDenyAction: 'reject' });
    assert.match(out, /ip daddr 10\.0\.0\.2 tcp dport 8080 counter accept/);
    assert.match(out, /dnat ip to 10\.0\.0\.2:8080/);
    assert.match(out, /counter return {2}# Configured DefaultEndpointToHostAction/);
    assert.match(out, /counter reject {2}# Reject unknown interface/);
  });

  it('staticSets() declares dispatch maps, anti-spoofing sets, NAT maps and pool sets per family', () => {
    const o = resolveDataplaneOptions({ natOutgoingExclusions: 'IPPoolsAndHostIPs' });
    const names = staticSets(o).map((s) => s.name);
    assert.deepEqual(names, ['to-wl', 'from-wl', 'wl-src4', 'wl-net4', 'fip-dnat4', 'fip-snat4', 'pools4', 'masq-pools4', 'hosts4', 'wl-src6', 'wl-net6', 'fip-dnat6', 'fip-snat6', 'pools6', 'masq-pools6', 'hosts6']);
    assert.deepEqual(staticSets(o).find((s) => s.name === 'wl-src6'), { name: 'wl-src6', type: ['ifname', 'ipv6_addr'] });
    assert.deepEqual(staticSets(o).find((s) => s.name === 'wl-net6'), { name: 'wl-net6', type: ['ifname', 'ipv6_addr'], interval: true });
  });
});

describe('natOutgoingChain', () => {
  const render = (options: Partial<DataplaneOptions>, families: (4 | 6)[]) => text([natOutgoingChain(resolveDataplaneOptions(options), new Set(families))]);

  it('natOutgoingChain() is empty while no pool has natOutgoing', () => {
    assert.equal(render({}, []), 'chain nat-outgoing');
  });

  it('natOutgoingChain() masquerades from natOutgoing pools to outside all pools, per family', () => {
    assert.equal(render({}, [4, 6]), `chain nat-outgoing
  ip saddr @masq-pools4 ip daddr != @pools4 counter masquerade fully-random  # natOutgoing
  ip6 saddr @masq-pools6 ip6 daddr != @pools6 counter masquerade fully-random  # natOutgoing`);
  });

  it('natOutgoingChain() honours NATOutgoingAddress, NATPortRange and host exclusions', () => {
    assert.equal(render({ natOutgoingAddress: '192.0.2.1', natPortRange: [32768, 60999], natOutgoingExclusions: 'IPPoolsAndHostIPs' }, [4]), `chain nat-outgoing
  meta l4proto tcp ip saddr @masq-pools4 ip daddr != @pools4 ip daddr != @hosts4 counter snat ip to 192.0.2.1:32768-60999 fully-random  # natOutgoing tcp port range
  meta l4proto tcp ip saddr @masq-pools4 ip daddr != @pools4 ip daddr != @hosts4 return
  meta l4proto udp ip saddr @masq-pools4 ip daddr != @pools4 ip daddr != @hosts4 counter snat ip to 192.0.2.1:32768-60999 fully-random  # natOutgoing udp port range
  meta l4proto udp ip saddr @masq-pools4 ip daddr != @pools4 ip daddr != @hosts4 return
  ip saddr @masq-pools4 ip daddr != @pools4 ip daddr != @hosts4 counter snat ip to 192.0.2.1 fully-random  # natOutgoing`);
  });

  it('natOutgoingChain() limits masquerading to IptablesNATOutgoingInterfaceFilter, "+" as a prefix match', () => {
    assert.equal(render({ natOutgoingInterfaceFilter: 'eth+' }, [4]), `chain nat-outgoing
  oifname "eth*" ip saddr @masq-pools4 ip daddr != @pools4 counter masquerade fully-random  # natOutgoing`);
  });
});
