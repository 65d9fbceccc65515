/**
 * Tests of how local endpoints get their policies: activation as selectors start and stop
 * matching, re-sorting when tiers and orders change, and endpoints moving between hosts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { policyKey, type DataplaneMessage } from '../messages.ts';
import { CalcGraph } from './calc-graph.ts';
import { MockDataplane } from './testing/mock-dataplane.ts';
import { clusterResource, del, globalPolicy, hasSG, HOST, port, put, REGION_ONE, sgPolicy } from './testing/resources.ts';

function harness() {
  const graph = new CalcGraph({ hostname: HOST });
  const dataplane = new MockDataplane();
  graph.onInSync();
  const step = (...events: Parameters<CalcGraph['onUpdate']>[0][]): DataplaneMessage[] => {
    for (const e of events) graph.onUpdate(e);
    const out = graph.flush().filter((m) => m.type !== 'config-update' && m.type !== 'in-sync');
    dataplane.apply(out);
    return out;
  };
  const tiers = () => Object.values(dataplane.state().endpoints).map((e) => e.tiers.map((t) => `${t.name}:${t.ingressPolicies.map((p) => p.name).join(',')}`));
  return { graph, dataplane, step, tiers };
}

describe('PolicyResolver', () => {
  it('PolicyResolver re-sorts an endpoint\'s policies when a policy\'s order changes', () => {
    const h = harness();
    h.step(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })), put(globalPolicy('a', { selector: hasSG('web'), order: 20 })), put(globalPolicy('b', { selector: hasSG('web'), order: 10 })));
    assert.deepEqual(h.tiers(), [['default:b,a']]);
    const out = h.step(put(globalPolicy('b', { selector: hasSG('web'), order: 30 }), true));
    assert.deepEqual(out.map((m) => m.type), ['policy-update', 'endpoint-update']);
    assert.deepEqual(h.tiers(), [['default:a,b']]);
  });

  it('PolicyResolver re-sorts tiers when a tier\'s order changes, and a deleted tier sorts last', () => {
    const h = harness();
    h.step(
      put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })),
      put(clusterResource('Tier', 'one', { order: 1 })), put(clusterResource('Tier', 'two', { order: 2 })),
      put(globalPolicy('p1', { tier: 'one', selector: 'all()' })), put(globalPolicy('p2', { tier: 'two', selector: 'all()' })),
    );
    assert.deepEqual(h.tiers(), [['one:p1', 'two:p2']]);
    h.step(put(clusterResource('Tier', 'one', { order: 3 }), true));
    assert.deepEqual(h.tiers(), [['two:p2', 'one:p1']]);
    h.step(del(clusterResource('Tier', 'two', {})));
    assert.deepEqual(h.tiers(), [['one:p1', 'two:p2']]);
    assert.equal(h.dataplane.state().endpoints[Object.keys(h.dataplane.state().endpoints)[0]!]!.tiers[1]!.defaultAction, 'Deny');
  });

  it('PolicyResolver moves a policy between directions when its types change', () => {
    const h = harness();
    h.step(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })), put(globalPolicy('p', { selector: 'all()', types: ['Ingress'] })));
    const egress = () => Object.values(h.dataplane.state().endpoints)[0]!.tiers.map((t) => t.egressPolicies.length);
    assert.deepEqual(egress(), [0]);
    h.step(put(globalPolicy('p', { selector: 'all()', types: ['Ingress', 'Egress'] }), true));
    assert.deepEqual(egress(), [1]);
  });
});

describe('ActiveRulesCalculator', () => {
  it('ActiveRulesCalculator activates a policy while it matches a local endpoint, with its IP sets', () => {
    const h = harness();
    const policy = sgPolicy(REGION_ONE, 'web', { ingress: [{ action: 'Allow', source: { selector: hasSG('lb') } }] });
    assert.deepEqual(h.step(put(policy), put(port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], sgs: ['lb'] }))), []);
    const web = port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] });
    assert.deepEqual(h.step(put(web)).map((m) => m.type), ['ipset-update', 'policy-update', 'endpoint-update']);
    assert.equal(h.graph.stats.activePolicies, 1);
    assert.deepEqual(h.step(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['db'] }), true)).map((m) => m.type), ['endpoint-update', 'policy-remove', 'ipset-remove']);
    assert.equal(h.graph.stats.activePolicies, 0);
    assert.deepEqual(Object.values(h.dataplane.state().endpoints)[0]!.tiers, []);
  });

  it('ActiveRulesCalculator follows a policy whose selector changes', () => {
    const h = harness();
    h.step(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })), put(port('db-1', { ips: ['10.1.0.2'], sgs: ['db'] })));
    h.step(put(globalPolicy('p', { selector: hasSG('web') })));
    assert.deepEqual(h.tiers().sort(), [[], ['default:p']]);
    const out = h.step(put(globalPolicy('p', { selector: hasSG('db') }), true));
    // The policy stays active throughout: no remove in between.
    assert.deepEqual(out.map((m) => m.type), ['policy-update', 'endpoint-update', 'endpoint-update']);
    assert.deepEqual(h.tiers().sort(), [[], ['default:p']]);
  });

  it('ActiveRulesCalculator removes an endpoint that moves to another host', () => {
    const h = harness();
    h.step(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })), put(globalPolicy('p', { selector: hasSG('web') })));
    const moved = port('web-1', { ips: ['10.1.0.1'], sgs: ['web'], spec: { node: 'compute-2' } });
    assert.deepEqual(h.step(put(moved, true)).map((m) => m.type), ['endpoint-remove', 'policy-remove']);
  });

  it('ActiveRulesCalculator sends the profiles endpoints use, denying everything for a missing one until it appears', () => {
    const h = harness();
    h.step(put(port('web-1', { ips: ['10.1.0.1'], profiles: ['prof'] })));
    const inbound = () => h.dataplane.state().profiles.prof!.inbound.map((r) => r.action);
    assert.deepEqual(inbound(), ['deny']);
    h.step(put(clusterResource('Profile', 'prof', { ingress: [{ action: 'Allow' }, { action: 'Log' }] })));
    assert.deepEqual(inbound(), ['allow', 'log']);
    h.step(del(clusterResource('Profile', 'prof', {})));
    assert.deepEqual(inbound(), ['deny']);
    const out = h.step(del(port('web-1', { ips: [] })));
    assert.deepEqual(out.map((m) => m.type), ['endpoint-remove', 'profile-remove']);
  });

  it('ActiveRulesCalculator gives rules of directions a policy does not govern no IP sets', () => {
    const h = harness();
    h.step(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })), put(globalPolicy('p', {
      selector: hasSG('web'), types: ['Ingress'],
      ingress: [{ action: 'Allow', source: { selector: hasSG('lb') } }], egress: [{ action: 'Allow', destination: { selector: hasSG('db') } }],
    })));
    const rules = h.dataplane.state().policies[policyKey({ kind: 'GlobalNetworkPolicy', name: 'p' })]!;
    assert.deepEqual([rules.inbound.length, rules.outbound.length, Object.keys(h.dataplane.state().ipsets).length], [1, 0, 1]);
  });
});
