/**
 * Felix-style state tests of the calculation graph: named datastore states with the dataplane
 * each must produce, replayed with automatic expansions (each state from and back to empty,
 * every pair of states in both orders, all states in sequence and in reverse; events in order
 * and reversed; flush after every event, after every state, or only at the end) to show the
 * output depends only on the final state. The mock dataplane checks message ordering.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isDeepStrictEqual } from 'node:util';
import { makeUniqueId, type Resource } from '@percale/api';
import type { WatchEvent } from '@percale/datastore';
import { endpointKey, policyKey } from '../messages.ts';
import { CalcGraph } from './calc-graph.ts';
import { MockDataplane, type DataplaneState } from './testing/mock-dataplane.ts';
import {
  clusterResource, del, globalPolicy, hasSG, HOST, inNamespace, namespacedResource, networkPolicy, port, put, REGION_ONE,
  REGION_TWO, setId, sgLabel, sgPolicy,
} from './testing/resources.ts';

/** The dataplane reduced to what states assert: membership, references and order. */
interface Summary {
  endpoints: Record<string, { tiers: string[]; profiles: string[] }>;
  policies: string[];
  profiles: string[];
  ipsets: Record<string, string[]>;
  pools: string[];
  hosts: string[];
}

function summarize(d: DataplaneState): Summary {
  const endpoints: Summary['endpoints'] = {};
  for (const [key, e] of Object.entries(d.endpoints)) {
    endpoints[key] = {
      tiers: e.tiers.map((t) => `${t.name}/${t.defaultAction} in:[${t.ingressPolicies.map(policyKey).join(' ')}] out:[${t.egressPolicies.map(policyKey).join(' ')}]`),
      profiles: e.profileIds,
    };
  }
  return {
    endpoints,
    policies: Object.keys(d.policies),
    profiles: Object.keys(d.profiles),
    ipsets: Object.fromEntries(Object.entries(d.ipsets).map(([id, s]) => [id, s.members])),
    pools: Object.entries(d.pools).map(([id, p]) => `${id}=${p.cidr}`),
    hosts: Object.entries(d.hosts).map(([h, a]) => `${h}=${a.ipv4Address ?? ''},${a.ipv6Address ?? ''}`),
  };
}

interface State {
  name: string;
  resources: Resource[];
  expected: Partial<Summary>;
}

const EMPTY_SUMMARY: Summary = { endpoints: {}, policies: [], profiles: [], ipsets: {}, pools: [], hosts: [] };

function wepKey(r: Resource): string {
  return endpointKey({ namespace: r.metadata.namespace!, name: r.metadata.name! });
}

function tier(name: string, action: 'Deny' | 'Pass', ingress: string[], egress: string[]): string {
  return `${name}/${action} in:[${ingress.join(' ')}] out:[${egress.join(' ')}]`;
}

const np = (ns: string, name: string) => policyKey({ kind: 'NetworkPolicy', namespace: ns, name });
const gnp = (name: string) => policyKey({ kind: 'GlobalNetworkPolicy', name });

// ---- States ---------------------------------------------------------------------------------

const web1 = port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] });
const lb1 = port('lb-1', { host: 'compute-2', ips: ['10.1.0.2/32', 'fd00::2'], sgs: ['lb'] });
const lb2 = port('lb-2', { host: 'compute-9', ns: REGION_TWO, ips: ['10.2.0.2'], sgs: ['lb'] });
const web2 = port('web-2', { host: 'compute-3', ips: ['10.1.0.3'], sgs: ['web'] });

const localOnly: State = {
  name: 'a local port with no security group policy',
  resources: [web1, lb1],
  expected: { ...EMPTY_SUMMARY, endpoints: { [wepKey(web1)]: { tiers: [], profiles: [] } } },
};

const webPolicy = sgPolicy(REGION_ONE, 'web', {
  ingress: [
    { action: 'Allow', ipVersion: 4, protocol: 'TCP', source: { selector: hasSG('lb') }, destination: { ports: [80] } },
    { action: 'Allow', ipVersion: 6, protocol: 'TCP', source: { selector: hasSG('lb') }, destination: { ports: [80] } },
    { action: 'Allow', ipVersion: 4, protocol: 'TCP', source: { nets: ['10.0.0.0/8'] }, destination: { ports: ['22:23'] } },
  ],
  egress: [{ action: 'Allow', ipVersion: 4 }, { action: 'Allow', ipVersion: 6 }],
});
const lbPolicy = sgPolicy(REGION_ONE, 'lb', { ingress: [{ action: 'Allow', source: { selector: hasSG('lb') } }], egress: [{ action: 'Allow' }] });

const securityGroups: State = {
  name: 'security-group policies (remote group in the same region only)',
  resources: [web1, lb1, lb2, web2, webPolicy, lbPolicy],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: { [wepKey(web1)]: { tiers: [tier('default', 'Deny', [np(REGION_ONE, 'ossg.default.web')], [np(REGION_ONE, 'ossg.default.web')])], profiles: [] } },
    policies: [np(REGION_ONE, 'ossg.default.web')],
    // lb-2 carries the label too, but lives in region two: a security group's remote group is regional.
    ipsets: { [setId(inNamespace(REGION_ONE, hasSG('lb')))]: ['10.1.0.2/32', 'fd00::2/128'] },
  },
};

// The same ports after security-group edits: lb-1 left group lb for web, web-2 joined lb, the
// local port moved to group lb (whose policy admits its own group), and the web group's
// policy now also admits group ops.
const web1InLb = port('web-1', { ips: ['10.1.0.1'], sgs: ['lb'] });
const securityGroupsChanged: State = {
  name: 'security groups edited (ports relabelled, rules changed)',
  resources: [
    web1InLb,
    port('lb-1', { host: 'compute-2', ips: ['10.1.0.2/32', 'fd00::2'], sgs: ['web'] }),
    lb2,
    port('web-2', { host: 'compute-3', ips: ['10.1.0.3', '10.1.0.33'], sgs: ['web', 'lb'] }),
    sgPolicy(REGION_ONE, 'web', { ingress: [{ action: 'Allow', source: { selector: hasSG('ops') } }] }),
    lbPolicy,
  ],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: { [wepKey(web1InLb)]: { tiers: [tier('default', 'Deny', [np(REGION_ONE, 'ossg.default.lb')], [np(REGION_ONE, 'ossg.default.lb')])], profiles: [] } },
    policies: [np(REGION_ONE, 'ossg.default.lb')],
    ipsets: { [setId(inNamespace(REGION_ONE, hasSG('lb')))]: ['10.1.0.1/32', '10.1.0.3/32', '10.1.0.33/32'] },
  },
};

// Seed 004 (Calico docs "Multiple regions", v3.5): a NetworkPolicy in RegionOne admitting a
// security group of RegionTwo through `namespaceSelector: all()`.
const R_ONE = 'openstack-region-RegionOne';
const R_TWO = 'openstack-region-RegionTwo';
const SG_A = 'a7734e61-b545-452d-a3cd-0189cbd9747a';
const SG_B = '85cc3048-abc3-43cc-89b3-377341426ac5';
const target = port('target', { ns: R_ONE, ips: ['10.65.0.10'], sgs: [SG_A] });
const clientTwo = port('client-two', { host: 'compute-2b', ns: R_TWO, ips: ['10.66.0.20'], sgs: [SG_B] });
const clientOne = port('client-one', { host: 'compute-1b', ns: R_ONE, ips: ['10.65.0.30'], sgs: [SG_B] });
const outsider = port('outsider', { host: 'compute-2b', ns: R_TWO, ips: ['10.66.0.40'], sgs: [SG_A] });
const globalSetB = clusterResource('GlobalNetworkSet', 'ext-b', { nets: ['192.0.2.0/24'] }, { [sgLabel(SG_B)]: '' });
const crossRegionPolicy = networkPolicy(R_ONE, 'allow-tcp-80', {
  selector: hasSG(SG_A),
  types: ['Ingress'],
  ingress: [{ action: 'Allow', protocol: 'TCP', source: { namespaceSelector: 'all()', selector: hasSG(SG_B) }, destination: { ports: [80] } }],
});
const crossRegionNamespaced: State = {
  name: 'NetworkPolicy with namespaceSelector all() admitting another region',
  resources: [target, clientTwo, clientOne, outsider, globalSetB, crossRegionPolicy],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: { [wepKey(target)]: { tiers: [tier('default', 'Deny', [np(R_ONE, 'allow-tcp-80')], [])], profiles: [] } },
    policies: [np(R_ONE, 'allow-tcp-80')],
    // Both regions' ports; not the GlobalNetworkSet, which has no namespace.
    ipsets: { [setId(`(has(projectcalico.org/namespace)) && (${hasSG(SG_B)})`)]: ['10.65.0.30/32', '10.66.0.20/32'] },
  },
};

// Seed 000 (Calico docs "Multiple regions", current): the same with a GlobalNetworkPolicy, whose
// rule selector has no namespace restriction at all.
const crossRegionGlobal: State = {
  name: 'GlobalNetworkPolicy admitting a security group of any region',
  resources: [target, clientTwo, clientOne, outsider, globalSetB, globalPolicy('allow-tcp-80', {
    selector: hasSG(SG_A),
    types: ['Ingress'],
    ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: hasSG(SG_B) }, destination: { ports: [80] } }],
  })],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: { [wepKey(target)]: { tiers: [tier('default', 'Deny', [gnp('allow-tcp-80')], [])], profiles: [] } },
    policies: [gnp('allow-tcp-80')],
    ipsets: { [setId(hasSG(SG_B))]: ['10.65.0.30/32', '10.66.0.20/32', '192.0.2.0/24'] },
  },
};

const tiersAndOrder: State = {
  name: 'tiers, orders, types, untracked policies and a missing tier',
  resources: [
    web1, webPolicy,
    clusterResource('Tier', 'default', { order: 1000000 }),
    clusterResource('Tier', 'security', { order: 100, defaultAction: 'Pass' }),
    clusterResource('Tier', 'aaa-unordered', {}),
    globalPolicy('sec-b', { tier: 'security', selector: 'all()' }),
    globalPolicy('sec-a', { tier: 'security', order: 10, selector: hasSG('web'), types: ['Egress'], egress: [{ action: 'Pass' }] }),
    globalPolicy('unordered', { tier: 'aaa-unordered', selector: hasSG('web'), types: ['Ingress'] }),
    globalPolicy('orphan', { tier: 'no-such-tier', selector: hasSG('web'), types: ['ingress'] }),
    globalPolicy('raw', { selector: hasSG('web'), doNotTrack: true, applyOnForward: true, types: ['Ingress'] }),
    // Same order in the default tier: ties are broken by "name/namespace/kind".
    globalPolicy('ossg.default.web', { order: 5, selector: hasSG('web'), types: ['Ingress'] }),
    networkPolicy(REGION_ONE, 'first', { order: 5, selector: hasSG('web'), types: ['Ingress'] }),
    // Staged policies never apply.
    namespacedResource('StagedNetworkPolicy', REGION_ONE, 'staged', { selector: hasSG('web') }),
  ],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: {
      [wepKey(web1)]: {
        tiers: [
          tier('security', 'Pass', [gnp('sec-b')], [gnp('sec-a'), gnp('sec-b')]),
          tier('default', 'Deny', [np(REGION_ONE, 'first'), gnp('ossg.default.web'), np(REGION_ONE, 'ossg.default.web')], [np(REGION_ONE, 'ossg.default.web')]),
          tier('aaa-unordered', 'Deny', [gnp('unordered')], []),
          tier('no-such-tier', 'Deny', [gnp('orphan')], []),
        ],
        profiles: [],
      },
    },
    policies: [gnp('orphan'), gnp('ossg.default.web'), gnp('raw'), gnp('sec-a'), gnp('sec-b'), gnp('unordered'), np(REGION_ONE, 'first'), np(REGION_ONE, 'ossg.default.web')],
    ipsets: { [setId(inNamespace(REGION_ONE, hasSG('lb')))]: [] },
  },
};

const dbPort = port('db-1', { ips: ['10.1.0.7'], profiles: ['prof-db', 'prof-missing'] });
const dbRemote = port('db-2', { host: 'compute-4', ips: ['10.1.0.8'], profiles: ['prof-db'] });
const dbOverride = port('db-3', { host: 'compute-4', ips: ['10.1.0.9'], profiles: ['prof-db'], labels: { role: 'web' } });
const profiles: State = {
  name: 'profiles: inherited labels, profile rules and a missing profile',
  resources: [
    dbPort, dbRemote, dbOverride,
    clusterResource('Profile', 'prof-db', { labelsToApply: { role: 'db' }, ingress: [{ action: 'Allow', source: { selector: "role == 'db'" } }], egress: [{ action: 'Allow' }] }),
    globalPolicy('db-only', { selector: "role == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "role == 'web'" } }] }),
  ],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: { [wepKey(dbPort)]: { tiers: [tier('default', 'Deny', [gnp('db-only')], [])], profiles: ['prof-db', 'prof-missing'] } },
    policies: [gnp('db-only')],
    profiles: ['prof-db', 'prof-missing'],
    ipsets: {
      [setId("role == 'db'")]: ['10.1.0.7/32', '10.1.0.8/32'],
      [setId("role == 'web'")]: ['10.1.0.9/32'],
    },
  },
};

const httpPorts = [{ name: 'http', protocol: 'TCP', port: 8080 }];
const namedPorts: State = {
  name: 'named ports',
  resources: [
    port('api-1', { ips: ['10.1.1.1'], sgs: ['api'], ports: httpPorts }),
    port('api-2', { host: 'compute-2', ips: ['10.1.1.2', 'fd00::1:2'], sgs: ['api'], ports: [...httpPorts, { name: 'dns', protocol: 'UDP', port: 53 }] }),
    port('other', { host: 'compute-2', ips: ['10.1.1.3'], ports: [{ name: 'http', protocol: 'UDP', port: 80 }] }),
    sgPolicy(REGION_ONE, 'api', { egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['http'] } }] }),
  ],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: {
      [wepKey(port('api-1', { ips: [] }))]: { tiers: [tier('default', 'Deny', [np(REGION_ONE, 'ossg.default.api')], [np(REGION_ONE, 'ossg.default.api')])], profiles: [] },
    },
    policies: [np(REGION_ONE, 'ossg.default.api')],
    ipsets: { [namedPortSetId('all()', 'tcp', 'http')]: ['10.1.1.1,tcp:8080', '10.1.1.2,tcp:8080', 'fd00::1:2,tcp:8080'] },
  },
};

const networkSets: State = {
  name: 'network sets, host endpoints and namespaceSelector global()',
  resources: [
    web1,
    namespacedResource('NetworkSet', REGION_ONE, 'partners', { nets: ['198.51.100.7/24'] }, { role: 'ext' }),
    clusterResource('GlobalNetworkSet', 'internet', { nets: ['203.0.113.0/24', '2001:db8::/32'] }, { role: 'ext' }),
    clusterResource('HostEndpoint', 'compute-2-eth0', { node: 'compute-2', interfaceName: 'eth0', expectedIPs: ['192.0.2.2'] }, { role: 'ext' }),
    sgPolicy(REGION_ONE, 'web', {
      ingress: [
        { action: 'Allow', source: { selector: "role == 'ext'" } },
        { action: 'Allow', source: { namespaceSelector: 'global()', selector: "role == 'ext'" } },
      ],
    }),
  ],
  expected: {
    ...EMPTY_SUMMARY,
    endpoints: { [wepKey(web1)]: { tiers: [tier('default', 'Deny', [np(REGION_ONE, 'ossg.default.web')], [np(REGION_ONE, 'ossg.default.web')])], profiles: [] } },
    policies: [np(REGION_ONE, 'ossg.default.web')],
    ipsets: {
      [setId(inNamespace(REGION_ONE, "role == 'ext'"))]: ['198.51.100.0/24'],
      [setId("(!has(projectcalico.org/namespace)) && (role == 'ext')")]: ['192.0.2.2/32', '2001:db8::/32', '203.0.113.0/24'],
    },
  },
};

const infrastructure: State = {
  name: 'IP pools and hosts',
  resources: [
    clusterResource('IPPool', 'pool-v4', { cidr: '10.65.0.0/16', natOutgoing: true }),
    clusterResource('Node', HOST, { bgp: { ipv4Address: '192.168.1.1/24', ipv6Address: 'fd01::1/64' } }),
    clusterResource('Node', 'compute-2', { bgp: { ipv4Address: '192.168.1.2/24' } }),
  ],
  expected: { ...EMPTY_SUMMARY, pools: ['pool-v4=10.65.0.0/16'], hosts: [`${HOST}=192.168.1.1,fd01::1`, 'compute-2=192.168.1.2,'] },
};

const STATES: State[] = [localOnly, securityGroups, securityGroupsChanged, crossRegionNamespaced, crossRegionGlobal, tiersAndOrder, profiles, namedPorts, networkSets, infrastructure];
const EMPTY: State = { name: 'empty', resources: [], expected: EMPTY_SUMMARY };

function namedPortSetId(selector: string, protocol: string, name: string): string {
  return makeNamedPortId(setId(selector), protocol, name);
}

function makeNamedPortId(selectorId: string, protocol: string, name: string): string {
  return makeUniqueId('n', `${selectorId},${protocol},${name}`);
}

// ---- Expansion machinery --------------------------------------------------------------------

function identity(r: Resource): string {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

/** The watch events that take the datastore from `from` to `to`. */
function transition(from: readonly Resource[], to: readonly Resource[]): WatchEvent[] {
  const before = new Map(from.map((r) => [identity(r), r]));
  const after = new Map(to.map((r) => [identity(r), r]));
  const events: WatchEvent[] = [];
  for (const [id, r] of before) if (!after.has(id)) events.push(del(r));
  for (const [id, r] of after) {
    const old = before.get(id);
    if (old === undefined) events.push(put(r));
    else if (!isDeepStrictEqual(old, r)) events.push(put(r, true));
  }
  return events;
}

type FlushMode = 'event' | 'state' | 'end';

// The datastore hands the graph freshly parsed objects each time.
function fresh(event: WatchEvent): WatchEvent {
  return JSON.parse(JSON.stringify(event)) as WatchEvent;
}

function replay(states: readonly State[], reverseEvents: boolean, flush: FlushMode): void {
  const graph = new CalcGraph({ hostname: HOST });
  const dataplane = new MockDataplane();
  let current: readonly Resource[] = [];
  states.forEach((state, i) => {
    const events = transition(current, state.resources);
    if (reverseEvents) events.reverse();
    for (const event of events) {
      graph.onUpdate(fresh(event));
      if (flush === 'event') dataplane.apply(graph.flush());
    }
    if (i === 0) graph.onInSync();
    current = state.resources;
    if (flush !== 'end' || i === states.length - 1) {
      dataplane.apply(graph.flush());
      const context = `${states.map((s) => s.name).join(' → ')} (at "${state.name}", events ${reverseEvents ? 'reversed' : 'in order'}, flush per ${flush})`;
      assert.deepEqual(pick(summarize(dataplane.state()), state.expected), state.expected, context);
    }
  });
}

function pick(summary: Summary, expected: Partial<Summary>): Partial<Summary> {
  return Object.fromEntries(Object.keys(expected).map((k) => [k, summary[k as keyof Summary]]));
}

function expand(states: readonly State[]): void {
  for (const reverse of [false, true]) for (const flush of ['event', 'state', 'end'] as const) replay(states, reverse, flush);
}

describe('CalcGraph', () => {
  for (const state of STATES) {
    it(`CalcGraph() reaches "${state.name}" from empty and tears it down again`, () => {
      expand([EMPTY, state, EMPTY]);
    });
  }

  it('CalcGraph() output depends only on the final state for every pair of states', () => {
    for (const a of STATES) for (const b of STATES) if (a !== b) expand([a, b, EMPTY]);
  });

  it('CalcGraph() reaches every state in sequence, forwards and backwards', () => {
    expand([...STATES, EMPTY]);
    expand([...STATES].reverse().concat(EMPTY));
  });

  it('CalcGraph() leaves an empty dataplane after teardown, having removed everything it added', () => {
    const graph = new CalcGraph({ hostname: HOST });
    const dataplane = new MockDataplane();
    const all = STATES.flatMap((s) => s.resources);
    const unique = [...new Map(all.map((r) => [identity(r), r])).values()];
    for (const e of transition([], unique)) graph.onUpdate(fresh(e));
    graph.onInSync();
    dataplane.apply(graph.flush());
    const full = dataplane.state();
    assert.ok(Object.keys(full.ipsets).length > 5 && Object.keys(full.endpoints).length > 3);
    for (const e of transition(unique, [])) graph.onUpdate(fresh(e));
    dataplane.apply(graph.flush());
    assert.deepEqual(summarize(dataplane.state()), EMPTY_SUMMARY);
    const removed = new Set(dataplane.log.filter((m) => m.type.endsWith('-remove')).map((m) => m.type));
    assert.deepEqual([...removed].sort(), ['endpoint-remove', 'host-remove', 'ippool-remove', 'ipset-remove', 'policy-remove', 'profile-remove']);
  });
});
