import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, encodeResource } from '@percale/api';
import { pythonJsonDumps } from './python-json.ts';
import { resourceDataEqual } from './resource-data-equal.ts';
import { buildSecurityGroupPolicy } from './security-group-policy.ts';
import { DEFAULT_SG, PORT1, QOS_POLICY_2, fixtureContext, makeRule } from './testing/fixtures.ts';
import { buildWorkloadEndpoint } from './workload-endpoint.ts';

/** The resource after a round trip through Percale's datastore encoding (Go member order and value forms). */
function viaGoEncoding(resource: object): { spec: unknown; labels?: Record<string, string>; annotations?: Record<string, string> } {
  const { resource: decoded, errors } = decodeResource(structuredClone(resource), { unknownFields: 'keep' });
  assert.deepEqual(errors, []);
  const stored = JSON.parse(encodeResource(decoded!)) as { spec: unknown; metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  return { spec: stored.spec, labels: stored.metadata.labels, annotations: stored.metadata.annotations };
}

const data = (r: { spec?: unknown; metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } }) =>
  ({ spec: r.spec, labels: r.metadata.labels, annotations: r.metadata.annotations });

test('resourceDataEqual() finds a WorkloadEndpoint equal to itself after Python or Go encoding', () => {
  const wep = buildWorkloadEndpoint(PORT1, 'felix-host-1', fixtureContext({ qosPolicy: QOS_POLICY_2 }));
  const python = JSON.parse(pythonJsonDumps(wep)) as typeof wep;
  assert.ok(resourceDataEqual('WorkloadEndpoint', data(wep), data(python)));
  assert.ok(resourceDataEqual('WorkloadEndpoint', data(wep), viaGoEncoding(wep)));
});

test('resourceDataEqual() sees every change the resync must write', () => {
  const wep = buildWorkloadEndpoint(PORT1, 'felix-host-1', fixtureContext());
  const base = data(wep);
  const variants: Array<[string, (d: ReturnType<typeof data>) => void]> = [
    ['label value', (d) => { d.labels!['projectcalico.org/openstack-project-name'] = 'other'; }],
    ['label removed', (d) => { delete d.labels!['sg-name.projectcalico.org/openstack-My_default_SG']; }],
    ['annotation added', (d) => { d.annotations!['openstack.projectcalico.org/fqdn'] = 'vm.example.org.'; }],
    ['network order', (d) => { (d.spec as { ipNetworks: string[] }).ipNetworks.reverse(); }],
    ['allowedIps', (d) => { (d.spec as { allowedIps: string[] }).allowedIps = []; }],
    ['node', (d) => { (d.spec as { node: string }).node = 'new-host'; }],
  ];
  for (const [note, change] of variants) {
    const changed = structuredClone(base);
    change(changed);
    assert.equal(resourceDataEqual('WorkloadEndpoint', base, changed), false, note);
  }
});

test('resourceDataEqual() ignores member order, empty lists, absent vs empty maps and null label values', () => {
  const a = { spec: { node: 'h', ipNetworks: [], interfaceName: 'tap1' }, labels: { x: '', y: 'v' } };
  const b = { spec: { interfaceName: 'tap1', node: 'h' }, labels: { y: 'v', x: null }, annotations: {} };
  assert.ok(resourceDataEqual('WorkloadEndpoint', a, b));
  assert.ok(resourceDataEqual('WorkloadEndpoint', { spec: {} }, { spec: {}, labels: null, annotations: null }));
});

test('resourceDataEqual() reads protocols and ports as Calico does ("17" is 17, "53" is 53)', () => {
  const sg = { id: 'SG-1', security_group_rules: [makeRule({ security_group_id: 'SG-1', protocol: '17', port_range_min: 53, port_range_max: 53 })] };
  const policy = buildSecurityGroupPolicy(sg, 'openstack');
  const go = viaGoEncoding(policy);
  assert.deepEqual((go.spec as { ingress: unknown[] }).ingress[0], { action: 'Allow', ipVersion: 4, protocol: 17, destination: { ports: [53] } });
  assert.ok(resourceDataEqual('NetworkPolicy', { spec: policy.spec }, { spec: go.spec }));
  const other = buildSecurityGroupPolicy({ ...sg, security_group_rules: [makeRule({ security_group_id: 'SG-1', protocol: '6', port_range_min: 53, port_range_max: 53 })] }, 'openstack');
  assert.equal(resourceDataEqual('NetworkPolicy', { spec: policy.spec }, { spec: other.spec }), false);
  assert.ok(resourceDataEqual('NetworkPolicy', { spec: buildSecurityGroupPolicy(DEFAULT_SG, 'openstack').spec }, { spec: viaGoEncoding(buildSecurityGroupPolicy(DEFAULT_SG, 'openstack')).spec }));
});

test('resourceDataEqual() compares a spec Calico cannot decode as written', () => {
  assert.ok(resourceDataEqual('LiveMigration', { spec: { a: [1] } }, { spec: { a: [1] } }));
  assert.equal(resourceDataEqual('WorkloadEndpoint', { spec: { ipNetworks: 'bad' } }, { spec: { ipNetworks: 'worse' } }), false);
});
