import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KINDS, type Resource } from '@percale/api';
import { columnsFor } from './table-columns.ts';

const res = (kind: string, spec: Record<string, unknown>, name = 'x'): Resource => ({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name }, spec });
const cell = (r: Resource, heading: string, cx = {}) => columnsFor(r.kind).cells[heading]!(r, cx);

test('columnsFor() knows every kind, and every default and wide heading has a cell', () => {
  for (const k of KINDS) {
    const c = columnsFor(k.kind);
    for (const h of [...c.defaults, ...c.wide]) assert.ok(c.cells[h], `${k.kind} ${h}`);
    assert.equal(Boolean(c.cells.NAMESPACE), k.namespaced, `${k.kind} NAMESPACE column`);
  }
});

const cases: [string, Resource, string, string, object?][] = [
  ['WORKLOAD falls back to the pod', res('WorkloadEndpoint', { pod: 'p1' }), 'WORKLOAD', 'p1'],
  ['WORKLOAD prefers the workload', res('WorkloadEndpoint', { pod: 'p1', workload: 'vm' }), 'WORKLOAD', 'vm'],
  ['NETWORKS joins with commas', res('WorkloadEndpoint', { ipNetworks: ['10.0.0.1/32', 'fd00::1/128'] }), 'NETWORKS', '10.0.0.1/32,fd00::1/128'],
  ['NATS prints Go structs', res('WorkloadEndpoint', { ipNATs: [{ internalIP: '10.0.0.1', externalIP: '172.16.0.1' }] }), 'NATS', '{10.0.0.1 172.16.0.1}'],
  ['BGPPeer NODE is the node', res('BGPPeer', { node: 'n1', nodeSelector: 'all()' }), 'NODE', 'n1'],
  ['BGPPeer NODE falls back to the selector', res('BGPPeer', { nodeSelector: 'rr == "true"' }), 'NODE', 'rr == "true"'],
  ['BGPPeer NODE is (global) otherwise', res('BGPPeer', {}), 'NODE', '(global)'],
  ['BGPPeer ASN of an unset number is 0', res('BGPPeer', {}), 'ASN', '0'],
  ['MESHENABLED unset is -', res('BGPConfiguration', {}), 'MESHENABLED', '-'],
  ['MESHENABLED false is false', res('BGPConfiguration', { nodeToNodeMeshEnabled: false }), 'MESHENABLED', 'false'],
  ['ASNUMBER unset is -', res('BGPConfiguration', {}), 'ASNUMBER', '-'],
  ['ORDER unset is <nil>', res('GlobalNetworkPolicy', {}), 'ORDER', '<nil>'],
  ['ORDER prints like Go %v', res('Tier', { order: 1_000_000 }), 'ORDER', '1e+06'],
  ['IPIPMODE unset is Never', res('IPPool', {}), 'IPIPMODE', 'Never'],
  ['NAT unset is false', res('IPPool', {}), 'NAT', 'false'],
  ['ASSIGNMENTMODE unset is <nil>', res('IPPool', {}), 'ASSIGNMENTMODE', '<nil>'],
  ['LABELS sorts k=v pairs', res('Profile', { labelsToApply: { b: '2', a: '1' } }), 'LABELS', 'a=1,b=2'],
  ['NETS truncates at 80 bytes', res('GlobalNetworkSet', { nets: Array.from({ length: 10 }, (_, i) => `10.${i}.0.0/16`) }), 'NETS', '10.0.0.0/16,10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16,10.5.0.0/16,10.6....'],
  ['Node ASN uses its own number', res('Node', { bgp: { asNumber: 65001 } }), 'ASN', '65001'],
  ['Node ASN shows the cluster number in parentheses', res('Node', { bgp: { ipv4Address: '10.0.0.1/24' } }), 'ASN', '(64513)', { globalASNumber: '64513' }],
  ['Node ASN is empty without BGP', res('Node', {}), 'ASN', ''],
  ['NUMEXPORTV4 counts rules', res('BGPFilter', { exportV4: [{}, {}] }), 'NUMEXPORTV4', '2'],
  ['DATASTOREREADY unset is <nil>', res('ClusterInformation', {}), 'DATASTOREREADY', '<nil>'],
];

for (const [name, r, heading, expected, cx] of cases) {
  test(`columnsFor() cell ${heading}: ${name}`, () => {
    assert.equal(cell(r, heading, cx), expected);
  });
}
