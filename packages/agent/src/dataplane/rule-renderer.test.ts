import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Rule } from '../messages.ts';
import { allocateMarks } from './marks.ts';
import { normalisePorts, renderRule, type RuleContext } from './rule-renderer.ts';

function rule(partial: Partial<Rule>): Rule {
  return {
    action: 'allow', srcNets: [], notSrcNets: [], dstNets: [], notDstNets: [], srcPorts: [], notSrcPorts: [], dstPorts: [], notDstPorts: [],
    srcIPSets: [], notSrcIPSets: [], dstIPSets: [], notDstIPSets: [], srcNamedPortIPSets: [], notSrcNamedPortIPSets: [], dstNamedPortIPSets: [], notDstNamedPortIPSets: [],
    ...partial,
  };
}

function context(overrides: Partial<RuleContext> = {}): RuleContext & { shared: string[] } {
  const shared: string[] = [];
  return {
    families: [4, 6],
    marks: allocateMarks(0xffff0000),
    denyVerdict: 'drop',
    ipSetName: (id, f) => `ip${f}-${id.replace(':', '-')}`,
    // Readable stand-ins for the content-addressed names.
    sharedSet: (kind, elements) => {
      const name = `${kind}{${elements.join(',')}}`;
      shared.push(name);
      return name;
    },
    logPrefix: 'calico-packet',
    ...overrides,
    shared,
  };
}

const ALLOW = 'counter meta mark set meta mark | 0x00010000 return';
const PASS = 'counter meta mark set meta mark | 0x00020000 return';

describe('renderRule', () => {
  const cases: [string, Partial<Rule>, string[], Partial<RuleContext>?][] = [
    ['allow everything: one rule for both families', {}, [ALLOW]],
    ['deny', { action: 'deny' }, ['counter drop']],
    ['deny with FilterDenyAction=REJECT', { action: 'deny' }, ['counter reject'], { denyVerdict: 'reject' }],
    ['pass', { action: 'pass', protocol: 17 }, [`meta l4proto udp ${PASS}`]],
    ['log', { action: 'log', protocol: 6 }, ['meta l4proto tcp counter log prefix "calico-packet: " level info']],
    ['log with a rate limit', { action: 'log' }, ['counter limit rate 10/second burst 5 packets log prefix "calico-packet: " level info'], { logRateLimit: '10/second', logRateBurst: 5 }],
    ['protocol and one port', { protocol: 6, dstPorts: [{ first: 80, last: 80 }] }, [`meta l4proto tcp th dport 80 ${ALLOW}`]],
    ['one port range', { protocol: 17, srcPorts: [{ first: 1000, last: 2000 }] }, [`meta l4proto udp th sport 1000-2000 ${ALLOW}`]],
    ['several ports become one shared set, ranges merged', { protocol: 6, dstPorts: [{ first: 80, last: 90 }, { first: 443, last: 443 }, { first: 85, last: 100 }] },
      [`meta l4proto tcp th dport @ports{80-100,443} ${ALLOW}`]],
    ['negated ports (adjacent ports merge into one range)', { protocol: 132, notDstPorts: [{ first: 22, last: 22 }, { first: 23, last: 23 }] }, [`meta l4proto sctp th dport != 22-23 ${ALLOW}`]],
    ['negated port list', { protocol: 6, notSrcPorts: [{ first: 22, last: 22 }, { first: 25, last: 25 }] }, [`meta l4proto tcp th sport != @ports{22,25} ${ALLOW}`]],
    ['unknown protocol number', { protocol: 47 }, [`meta l4proto 47 ${ALLOW}`]],
    ['negated protocol', { notProtocol: 17 }, [`meta l4proto != udp ${ALLOW}`]],
    ['CIDRs of both families split by family', { srcNets: ['10.0.0.0/8', 'fd00::/8'] }, [`ip saddr 10.0.0.0/8 ${ALLOW}`, `ip6 saddr fd00::/8 ${ALLOW}`]],
    ['several CIDRs become a shared set of their cover', { dstNets: ['10.1.0.0/16', '10.0.0.0/8', '192.168.1.7/32'] }, [`ip daddr @nets4{10.0.0.0/8,192.168.1.7} ${ALLOW}`]],
    ['ipVersion 4 with no address match', { ipVersion: 4, protocol: 6 }, [`meta nfproto ipv4 meta l4proto tcp ${ALLOW}`]],
    ['ipVersion 6 with only IPv4 CIDRs never matches', { ipVersion: 6, srcNets: ['10.0.0.0/8'] }, []],
    ['a negated catch-all excludes its family', { notSrcNets: ['0.0.0.0/0'] }, [`meta nfproto ipv6 ${ALLOW}`]],
    ['negated CIDRs', { notSrcNets: ['10.0.0.0/8'], notDstNets: ['fd00::1/128'] }, [`ip saddr != 10.0.0.0/8 ${ALLOW}`, `ip6 daddr != fd00::1 ${ALLOW}`]],
    ['selector IP sets, one set per family', { srcIPSets: ['s:a'], notDstIPSets: ['s:b'] },
      [`ip saddr @ip4-s-a ip daddr != @ip4-s-b ${ALLOW}`, `ip6 saddr @ip6-s-a ip6 daddr != @ip6-s-b ${ALLOW}`]],
    ['numeric ports OR named ports: one rule per alternative, the shared one once', { protocol: 6, dstPorts: [{ first: 22, last: 22 }], dstNamedPortIPSets: ['n:http'] },
      [`meta l4proto tcp th dport 22 ${ALLOW}`, `meta l4proto tcp ip daddr . meta l4proto . th dport @ip4-n-http ${ALLOW}`, `meta l4proto tcp ip6 daddr . meta l4proto . th dport @ip6-n-http ${ALLOW}`]],
    ['negated named ports', { notSrcNamedPortIPSets: ['n:x'] },
      [`ip saddr . meta l4proto . th sport != @ip4-n-x ${ALLOW}`, `ip6 saddr . meta l4proto . th sport != @ip6-n-x ${ALLOW}`]],
    ['ICMP type and code', { protocol: 1, icmp: { type: 8, code: 0 } }, [`meta l4proto icmp icmp type 8 icmp code 0 ${ALLOW}`]],
    ['ICMPv6 type', { protocol: 58, icmp: { type: 128 } }, [`meta l4proto icmpv6 icmpv6 type 128 ${ALLOW}`]],
    ['not ICMP type', { protocol: 1, notICMP: { type: 8 } }, [`meta l4proto icmp icmp type != 8 ${ALLOW}`]],
    ['not (ICMP type and code) is type != T, or type T with code != C', { action: 'deny', protocol: 1, notICMP: { type: 3, code: 4 } },
      ['meta l4proto icmp icmp type != 3 counter drop', 'meta l4proto icmp icmp type 3 icmp code != 4 counter drop']],
    ['ICMP type match only in IPv4', { protocol: 1, icmp: { type: 0 }, srcNets: ['fd00::/8'] }, []],
    ['a rule that can never match renders nothing', { neverMatches: true }, []],
    ['log with alternatives marks each and logs once', { action: 'log', protocol: 1, notICMP: { type: 3, code: 4 } }, [
      'meta l4proto icmp icmp type != 3 meta mark set meta mark | 0x00040000',
      'meta l4proto icmp icmp type 3 icmp code != 4 meta mark set meta mark | 0x00040000',
      'meta mark & 0x00040000 == 0x00040000 meta mark set meta mark & 0xfffbffff counter log prefix "calico-packet: " level info',
    ]],
    ['IPv6 disabled: family-free rules are bound to IPv4', { protocol: 6 }, [`meta nfproto ipv4 meta l4proto tcp ${ALLOW}`], { families: [4] }],
    ['IPv6 disabled: IPv6-only rules render nothing', { srcNets: ['fd00::/8'] }, [], { families: [4] }],
  ];
  for (const [name, partial, want, overrides] of cases) {
    it(`renderRule() ${name}`, () => {
      const got = renderRule(rule(partial), 3, context(overrides));
      assert.deepEqual(got.map((r) => r.body), want);
      for (const r of got) assert.equal(r.comment, 'rule 3');
    });
  }

  it('renderRule() never writes an inline anonymous set', () => {
    const r = rule({ protocol: 6, srcNets: ['10.0.0.0/8', '11.0.0.0/8', 'fd00::/16', 'fd01::/16'], dstPorts: [{ first: 1, last: 1 }, { first: 3, last: 3 }], notDstNets: ['10.1.0.0/16', '10.2.0.0/16'] });
    const ctx = context();
    for (const out of renderRule(r, 0, ctx)) assert.doesNotMatch(out.body, /(^|\s)\{/);
    assert.deepEqual(ctx.shared.sort(), ['nets4{10.0.0.0/8,11.0.0.0/8}', 'nets4{10.1.0.0/16,10.2.0.0/16}', 'nets6{fd00::/16,fd01::/16}', 'ports{1,3}', 'ports{1,3}']);
  });

  it('normalisePorts() merges overlapping and adjacent ranges', () => {
    assert.deepEqual(normalisePorts([{ first: 10, last: 20 }, { first: 21, last: 21 }, { first: 5, last: 5 }, { first: 15, last: 30 }, { first: 40, last: 40 }]), ['5', '10-30', '40']);
  });
});
