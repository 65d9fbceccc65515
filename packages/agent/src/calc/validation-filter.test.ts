/**
 * Tests of the graph's validation: invalid resources become absent (failing closed: a local
 * endpoint that turns invalid is removed, so its interface hits the dispatch drop), a policy
 * with one bad rule keeps its other rules, the targeted endpoint checks agree with the full
 * validation, and no input makes the graph throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { validateResource, type Resource } from '@percale/api';
import { policyKey, type DataplaneMessage } from '../messages.ts';
import { CalcGraph } from './calc-graph.ts';
import { MockDataplane } from './testing/mock-dataplane.ts';
import { clusterResource, del, hasSG, HOST, port, put, REGION_ONE, sgPolicy } from './testing/resources.ts';
import { workloadEndpointProblem } from './workload-endpoint-check.ts';

function run(events: Parameters<CalcGraph['onUpdate']>[0][], options: { workloadSourceSpoofing?: 'Any' | 'Disabled' } = {}) {
  const graph = new CalcGraph({ hostname: HOST, ...options });
  const dataplane = new MockDataplane();
  for (const e of events) graph.onUpdate(e);
  graph.onInSync();
  dataplane.apply(graph.flush());
  return { graph, dataplane };
}

describe('ValidationFilter', () => {
  it('ValidationFilter removes a local endpoint whose update makes it invalid', () => {
    const good = port('web-1', { ips: ['10.1.0.1'] });
    const { graph, dataplane } = run([put(good)]);
    assert.equal(Object.keys(dataplane.state().endpoints).length, 1);
    graph.onUpdate(put(port('web-1', { ips: ['10.1.0.300'] }), true));
    const out = graph.flush();
    dataplane.apply(out);
    assert.deepEqual(out.map((m) => m.type), ['endpoint-remove']);
    assert.equal(graph.stats.rejected, 1);
  });

  it('ValidationFilter keeps invalid remote endpoints out of IP sets', () => {
    const rule = { action: 'Allow', source: { selector: hasSG('lb') } };
    const { dataplane } = run([
      put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })),
      put(sgPolicy(REGION_ONE, 'web', { ingress: [rule] })),
      put(port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], sgs: ['lb'] })),
      put(port('lb-2', { host: 'compute-2', ips: ['10.1.0.3'], sgs: ['lb'], labels: { 'bad key!': 'x' } })),
      put(port('lb-3', { host: 'compute-2', ips: ['10.1.0.0/24'], sgs: ['lb'] })),
    ]);
    assert.deepEqual(Object.values(dataplane.state().ipsets).map((s) => s.members), [['10.1.0.2/32']]);
  });

  it('ValidationFilter refuses spoofing exemptions unless WorkloadSourceSpoofing is Any', () => {
    const spoofer = port('web-1', { ips: ['10.1.0.1'], spec: { allowSpoofedSourcePrefixes: ['10.9.0.0/16'] } });
    assert.deepEqual(run([put(spoofer)]).dataplane.state().endpoints, {});
    const endpoints = Object.values(run([put(spoofer)], { workloadSourceSpoofing: 'Any' }).dataplane.state().endpoints);
    assert.deepEqual(endpoints.map((e) => e.allowSpoofedSourcePrefixes), [['10.9.0.0/16']]);
  });

  it('ValidationFilter fully validates local endpoints (a bad gateway removes one, not a remote one)', () => {
    const bad = { ipv4Gateway: 'not-an-ip' };
    const { dataplane } = run([
      put(port('web-1', { ips: ['10.1.0.1'], spec: bad })),
      put(port('web-2', { ips: ['10.1.0.2'] })),
    ]);
    assert.deepEqual(Object.values(dataplane.state().endpoints).map((e) => e.endpoint), ['web-2']);
  });

  it('ValidationFilter keeps a local endpoint with members Felix does not know (networking-calico\'s allowedIps)', () => {
    const { dataplane } = run([put(port('web-1', { ips: ['10.1.0.1'], spec: { allowedIps: ['10.1.0.9/32'] } }))]);
    assert.deepEqual(Object.values(dataplane.state().endpoints).map((e) => e.endpoint), ['web-1']);
  });

  it('ValidationFilter keeps a policy whose one rule is broken, failing that rule closed', () => {
    const policy = sgPolicy(REGION_ONE, 'web', {
      ingress: [
        { action: 'Allow', source: { selector: 'has(sg.projectcalico.org/openstack-lb' } },
        { action: 'Allow', protocol: 'TCP', destination: { ports: [22] } },
        { action: 'Deny', source: { nets: ['10.0.0.0/8', 'bogus'] }, protocol: 'UDP' },
      ],
    });
    const { dataplane } = run([put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })), put(policy)]);
    const rules = dataplane.state().policies[policyKey({ kind: 'NetworkPolicy', namespace: REGION_ONE, name: 'ossg.default.web' })]!;
    assert.deepEqual(rules.inbound.map((r) => [r.action, r.neverMatches ?? false, r.protocol, r.srcNets]), [
      ['allow', true, undefined, []],
      ['allow', false, 6, []],
      ['deny', false, 17, []],
    ]);
    assert.deepEqual(Object.keys(dataplane.state().ipsets), []);
  });

  it('ValidationFilter makes an invalid profile absent, so endpoints using it get the deny-all profile', () => {
    const { dataplane } = run([
      put(port('web-1', { ips: ['10.1.0.1'], profiles: ['open'] })),
      put(clusterResource('Profile', 'open', { ingress: [{ action: 'Allow' }], labelsToApply: { 'bad key!': 'x' } })),
    ]);
    const profile = dataplane.state().profiles.open!;
    assert.deepEqual(profile.inbound.map((r) => [r.action, r.neverMatches ?? false, r.srcNets]), [['deny', false, []]]);
  });

  it('ValidationFilter ignores datastore errors, unknown kinds and staged policies', () => {
    const { graph, dataplane } = run([
      { type: 'ERROR', error: new Error('undecodable value') },
      put({ apiVersion: 'projectcalico.org/v3', kind: 'KubeControllersConfiguration', metadata: { name: 'default' }, spec: {} }),
      put({ apiVersion: 'projectcalico.org/v3', kind: 'StagedGlobalNetworkPolicy', metadata: { name: 's' }, spec: { selector: 'all()' } }),
      put(port('web-1', { ips: ['10.1.0.1'] })),
    ]);
    assert.equal(graph.stats.errors, 1);
    assert.deepEqual(Object.values(dataplane.state().endpoints).map((e) => e.tiers), [[]]);
  });

  it('ValidationFilter never throws and keeps the dataplane contract whatever the datastore holds', () => {
    const kinds = ['WorkloadEndpoint', 'NetworkPolicy', 'GlobalNetworkPolicy', 'Profile', 'Tier', 'HostEndpoint', 'NetworkSet', 'GlobalNetworkSet', 'IPPool', 'Node', 'FelixConfiguration', 'ClusterInformation'];
    const junk = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('selector', 'ingress', 'egress', 'ipNetworks', 'node', 'interfaceName', 'labelsToApply', 'nets', 'order', 'types', 'tier', 'profiles', 'cidr'), fc.jsonValue()));
    fc.assert(fc.property(fc.array(fc.record({ kind: fc.constantFrom(...kinds), spec: junk, labels: fc.option(fc.jsonValue()), name: fc.constantFrom('a', 'b') }), { maxLength: 12 }), (items) => {
      const graph = new CalcGraph({ hostname: HOST });
      const dataplane = new MockDataplane();
      const resources = items.map(({ kind, spec, labels, name }) => ({
        apiVersion: 'projectcalico.org/v3', kind,
        metadata: { name, namespace: REGION_ONE, ...(labels === null ? {} : { labels }) },
        spec: kind === 'WorkloadEndpoint' ? { node: HOST, interfaceName: 'tap0', ipNetworks: ['10.0.0.1'], ...(spec as object) } : spec,
      }) as unknown as Resource);
      for (const r of resources) graph.onUpdate(put(r));
      graph.onInSync();
      dataplane.apply(graph.flush());
      for (const r of resources) graph.onUpdate(del(r));
      dataplane.apply(graph.flush());
      const s = dataplane.state();
      assert.deepEqual([s.endpoints, s.policies, s.profiles, s.ipsets, s.pools, s.hosts], [{}, {}, {}, {}, {}, {}]);
    }), { numRuns: 300 });
  });
});

describe('remote WorkloadEndpoint checks', () => {
  // A remote port counts (joins IP sets) exactly when Calico's full validation accepts it,
  // although only local ports pay for that validation.
  const valid = port('p-1', { host: 'compute-2', ips: ['10.1.0.2', 'fd00::2'], sgs: ['lb'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }], profiles: ['p'] });
  const variants: [string, (r: Resource) => void][] = [
    ['valid', () => {}],
    ['no interface name', (r) => delete (r.spec as Record<string, unknown>).interfaceName],
    ['an interface name of 16 characters', (r) => ((r.spec as Record<string, unknown>).interfaceName = 'tap0123456789abc')],
    ['a network of more than one address', (r) => ((r.spec as Record<string, unknown>).ipNetworks = ['10.1.0.0/24'])],
    ['an unparsable address', (r) => ((r.spec as Record<string, unknown>).ipNetworks = ['10.1.0'])],
    ['a label name with a space', (r) => (r.metadata.labels!['a b'] = 'x')],
    ['a label value of 64 characters', (r) => (r.metadata.labels!.long = 'x'.repeat(64))],
    ['a label value with a slash', (r) => (r.metadata.labels!.v = 'a/b')],
    ['a label prefix that is not a DNS name', (r) => (r.metadata.labels!['Upper.Case/x'] = 'y')],
    ['a named port without a port protocol', (r) => ((r.spec as Record<string, unknown>).ports = [{ name: 'x', protocol: 'ICMP', port: 80 }])],
    ['a named port numbered 0', (r) => ((r.spec as Record<string, unknown>).ports = [{ name: 'x', protocol: 'TCP', port: 0 }])],
    ['an upper-case profile name', (r) => ((r.spec as Record<string, unknown>).profiles = ['Open'])],
    ['a node that is not a string', (r) => ((r.spec as Record<string, unknown>).node = 7)],
  ];
  for (const [name, mutate] of variants) {
    it(`CalcGraph counts a remote port with ${name} as validateResource judges it`, () => {
      const r = structuredClone(valid);
      mutate(r);
      assert.equal(workloadEndpointProblem(r) === undefined || validateResource(r).length > 0, true);
      const { dataplane } = run([
        put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })),
        put(sgPolicy(REGION_ONE, 'web', { ingress: [{ action: 'Allow', source: { selector: hasSG('lb') } }] })),
        put(r),
      ]);
      const members = Object.values(dataplane.state().ipsets)[0]!.members;
      assert.equal(members.length > 0, validateResource(r).length === 0, JSON.stringify(validateResource(r)));
    });
  }
});

describe('CalcGraph messages', () => {
  it('CalcGraph emits the endpoint as the dataplane needs it', () => {
    const { dataplane } = run([put(port('web-1', {
      ips: ['10.1.0.1', 'FD00:0::1/128'], spec: { mac: 'FA-16-3E-00-00-01', ipNATs: [{ internalIP: '10.1.0.1', externalIP: '172.16.0.1' }], qosControls: { egressBandwidth: 1000, dscp: 'AF11' } },
    }))]);
    const [e] = Object.values(dataplane.state().endpoints);
    assert.deepEqual(e, {
      interfaceName: 'tapweb-1', mac: 'fa:16:3e:00:00:01', orchestrator: 'openstack', workload: `${REGION_ONE}/vm-web-1`, endpoint: 'web-1',
      ipv4Nets: ['10.1.0.1/32'], ipv6Nets: ['fd00::1/128'], ipv4NAT: [{ externalIP: '172.16.0.1', internalIP: '10.1.0.1' }], ipv6NAT: [],
      profileIds: [], allowSpoofedSourcePrefixes: [], qosControls: { egressBandwidth: 1000, dscp: 10 }, tiers: [],
    });
  });

  it('CalcGraph orders a flush: IP sets, policies, endpoints, then removals in reverse, then in-sync', () => {
    const graph = new CalcGraph({ hostname: HOST });
    graph.onUpdate(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })));
    graph.onUpdate(put(sgPolicy(REGION_ONE, 'web', { ingress: [{ action: 'Allow', source: { selector: hasSG('web') } }] })));
    graph.onUpdate(put(clusterResource('IPPool', 'p', { cidr: '10.1.0.0/16' })));
    graph.onInSync();
    const types = (out: DataplaneMessage[]) => out.map((m) => m.type);
    assert.deepEqual(types(graph.flush()), ['config-update', 'ipset-update', 'policy-update', 'endpoint-update', 'ippool-update', 'in-sync']);
    graph.onUpdate(del(port('web-1', { ips: [] })));
    assert.deepEqual(types(graph.flush()), ['endpoint-remove', 'policy-remove', 'ipset-remove']);
    assert.deepEqual(graph.flush(), []);
  });
});
