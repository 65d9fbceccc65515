/**
 * Tests of IP set membership as the dataplane sees it: ports joining and leaving security
 * groups, changing addresses, sharing addresses, moving regions, inheriting labels from
 * profiles and changing named ports each produce exactly the member deltas they cause.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Resource } from '@percale/api';
import type { DataplaneMessage } from '../messages.ts';
import { CalcGraph } from './calc-graph.ts';
import { MockDataplane } from './testing/mock-dataplane.ts';
import { clusterResource, del, hasSG, HOST, inNamespace, port, put, REGION_ONE, REGION_TWO, setId, sgPolicy } from './testing/resources.ts';

const LB_SET = setId(inNamespace(REGION_ONE, hasSG('lb')));

/** A graph with a local web port whose security group admits group lb. */
function setup(extra: Resource[] = []) {
  const graph = new CalcGraph({ hostname: HOST });
  const dataplane = new MockDataplane();
  graph.onUpdate(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })));
  graph.onUpdate(put(sgPolicy(REGION_ONE, 'web', { ingress: [{ action: 'Allow', source: { selector: hasSG('lb') } }] })));
  for (const r of extra) graph.onUpdate(put(r));
  graph.onInSync();
  dataplane.apply(graph.flush());
  const step = (...events: Parameters<CalcGraph['onUpdate']>[0][]): DataplaneMessage[] => {
    for (const e of events) graph.onUpdate(e);
    const out = graph.flush();
    dataplane.apply(out);
    return out;
  };
  return { graph, dataplane, step, members: () => dataplane.state().ipsets[LB_SET]?.members };
}

describe('IPSetMemberIndex', () => {
  it('IPSetMemberIndex adds and removes a remote port as it joins and leaves a security group', () => {
    const t = setup([port('lb-1', { host: 'compute-2', ips: ['10.1.0.2', 'fd00::2'], sgs: ['lb'] })]);
    assert.deepEqual(t.members(), ['10.1.0.2/32', 'fd00::2/128']);
    assert.deepEqual(t.step(put(port('lb-1', { host: 'compute-2', ips: ['10.1.0.2', 'fd00::2'], sgs: ['other'] }), true)),
      [{ type: 'ipset-delta', id: LB_SET, added: [], removed: ['10.1.0.2/32', 'fd00::2/128'] }]);
    assert.deepEqual(t.step(put(port('lb-1', { host: 'compute-2', ips: ['10.1.0.2', 'fd00::2'], sgs: ['other', 'lb'] }), true)),
      [{ type: 'ipset-delta', id: LB_SET, added: ['10.1.0.2/32', 'fd00::2/128'], removed: [] }]);
  });

  it('IPSetMemberIndex sends only the changed addresses when a port changes address', () => {
    const t = setup([port('lb-1', { host: 'compute-2', ips: ['10.1.0.2', '10.1.0.3'], sgs: ['lb'] })]);
    assert.deepEqual(t.step(put(port('lb-1', { host: 'compute-2', ips: ['10.1.0.2', '10.1.0.4'], sgs: ['lb'] }), true)),
      [{ type: 'ipset-delta', id: LB_SET, added: ['10.1.0.4/32'], removed: ['10.1.0.3/32'] }]);
  });

  it('IPSetMemberIndex keeps an address two ports contribute until both are gone', () => {
    const a = port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], sgs: ['lb'] });
    // An allowed address pair: the same address on a second port.
    const b = port('lb-2', { host: 'compute-3', ips: ['10.1.0.2', '10.1.0.5'], sgs: ['lb'] });
    const t = setup([a, b]);
    assert.deepEqual(t.step(del(a)), []);
    assert.deepEqual(t.members(), ['10.1.0.2/32', '10.1.0.5/32']);
    assert.deepEqual(t.step(del(b)), [{ type: 'ipset-delta', id: LB_SET, added: [], removed: ['10.1.0.2/32', '10.1.0.5/32'] }]);
  });

  it('IPSetMemberIndex drops a port that moves to another region from a regional set', () => {
    const t = setup([port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], sgs: ['lb'] })]);
    const moved = port('lb-1', { host: 'compute-2', ns: REGION_TWO, ips: ['10.1.0.2'], sgs: ['lb'] });
    t.step(del(port('lb-1', { host: 'compute-2', ips: [] })), put(moved));
    assert.deepEqual(t.members(), []);
  });

  it('IPSetMemberIndex sends nothing for a change that leaves labels and addresses alone', () => {
    const t = setup([port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], sgs: ['lb'] })]);
    assert.deepEqual(t.step(put(port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], sgs: ['lb'], spec: { mac: 'fa:16:3e:00:00:99' } }), true)), []);
  });

  it('IPSetMemberIndex follows labels a port inherits from its profiles', () => {
    const t = setup([port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], profiles: ['grp'] })]);
    assert.deepEqual(t.members(), []);
    t.step(put(clusterResource('Profile', 'grp', { labelsToApply: { 'sg.projectcalico.org/openstack-lb': '' } })));
    assert.deepEqual(t.members(), ['10.1.0.2/32']);
    t.step(put(clusterResource('Profile', 'grp', { labelsToApply: { other: '' } }), true));
    assert.deepEqual(t.members(), []);
  });

  it('IPSetMemberIndex builds named-port members from the ports of matching endpoints', () => {
    const graph = new CalcGraph({ hostname: HOST });
    const dataplane = new MockDataplane();
    const api = (ports: { name: string; protocol: string; port: number }[]) => port('api-2', { host: 'compute-2', ips: ['10.1.1.2'], sgs: ['api'], ports });
    graph.onUpdate(put(port('web-1', { ips: ['10.1.0.1'], sgs: ['web'] })));
    graph.onUpdate(put(sgPolicy(REGION_ONE, 'web', { egress: [{ action: 'Allow', protocol: 'TCP', destination: { selector: hasSG('api'), ports: ['http'] } }] })));
    graph.onUpdate(put(api([{ name: 'http', protocol: 'TCP', port: 8080 }])));
    dataplane.apply(graph.flush());
    const [id] = Object.keys(dataplane.state().ipsets);
    assert.ok(id?.startsWith('n:'));
    assert.deepEqual(dataplane.state().ipsets[id!], { setType: 'ip-and-port', members: ['10.1.1.2,tcp:8080'] });
    graph.onUpdate(put(api([{ name: 'http', protocol: 'TCP', port: 8081 }]), true));
    assert.deepEqual(graph.flush(), [{ type: 'ipset-delta', id, added: ['10.1.1.2,tcp:8081'], removed: ['10.1.1.2,tcp:8080'] }]);
  });

  it('IPSetMemberIndex stops computing a set when the last rule using it goes', () => {
    const t = setup([port('lb-1', { host: 'compute-2', ips: ['10.1.0.2'], sgs: ['lb'] })]);
    const out = t.step(put(sgPolicy(REGION_ONE, 'web', { ingress: [{ action: 'Allow', source: { nets: ['10.0.0.0/8'] } }] }), true));
    assert.deepEqual(out.map((m) => m.type), ['policy-update', 'ipset-remove']);
    // Later membership changes of the former set produce nothing.
    assert.deepEqual(t.step(put(port('lb-9', { host: 'compute-2', ips: ['10.1.0.9'], sgs: ['lb'] }))), []);
  });
});
