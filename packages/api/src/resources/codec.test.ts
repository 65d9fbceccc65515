import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeResource, goJSON } from './codec.ts';
import { decodeResource } from './decode-resource.ts';
import type { Resource } from './types.ts';
import { validateResource } from '../validation/validate-resource.ts';

// resources.md §6.2: a NetworkPolicy as current Calico stores it.
const STORED_POLICY = '{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"allow-ssh","namespace":"openstack-region-regionone","uid":"0b5b6a3e-…","creationTimestamp":"2026-01-02T03:04:05Z","labels":{"projectcalico.org/tier":"default"},"annotations":{"projectcalico.org/metadata":"{\\"name\\":\\"allow-ssh\\"}"}},"spec":{"tier":"default","order":100,"ingress":[{"action":"Allow","protocol":"TCP","destination":{"ports":[22]}}],"selector":"has(role)","types":["Ingress"]}}';

function decoded(value: unknown, unknownFields: 'reject' | 'keep' = 'reject'): Resource {
  const { resource, errors } = decodeResource(value, { unknownFields });
  assert.deepEqual(errors, []);
  return resource!;
}

test('encodeResource() round-trips the stored NetworkPolicy of resources.md §6.2 byte for byte', () => {
  assert.equal(encodeResource(decoded(JSON.parse(STORED_POLICY))), STORED_POLICY);
});

test('encodeResource() puts spec members in Go order whatever order they were written in', () => {
  const res = decoded({
    apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy',
    spec: { types: ['Ingress'], selector: 'has(role)', ingress: [{ destination: { ports: ['22'] }, protocol: 'TCP', action: 'Allow' }], order: 100, tier: 'default' },
    metadata: { annotations: { 'projectcalico.org/metadata': '{"name":"allow-ssh"}' }, labels: { 'projectcalico.org/tier': 'default' }, creationTimestamp: '2026-01-02T03:04:05Z', uid: '0b5b6a3e-…', namespace: 'openstack-region-regionone', name: 'allow-ssh' },
  });
  assert.equal(encodeResource(res), STORED_POLICY);
});

// networking-calico writes WorkloadEndpoints with Python's json.dumps, in its own member order,
// and adds `allowedIps`, which Calico's Go type does not have.
const NETWORKING_CALICO_WEP = `{"kind": "WorkloadEndpoint", "apiVersion": "projectcalico.org/v3", "metadata": {"name": "compute--1-openstack-9d0c8f5e--4b3a-2f0b7c1e--aa11", "namespace": "openstack-region-regionone", "creationTimestamp": "2026-03-04T05:06:07Z", "uid": "6f1d7d0e-8c55-4a59-9d7c-6a1e0f4b2c3d", "annotations": {"openstack.projectcalico.org/network-id": "net-1"}, "labels": {"sg.projectcalico.org/openstack-web": "web", "projectcalico.org/orchestrator": "openstack", "projectcalico.org/namespace": "openstack-region-regionone"}}, "spec": {"orchestrator": "openstack", "workload": "9d0c8f5e-4b3a", "node": "compute-1", "endpoint": "2f0b7c1e-aa11", "interfaceName": "tap2f0b7c1e-aa", "mac": "fa:16:3e:12:34:56", "ipv4Gateway": "10.65.0.1", "ipNetworks": ["10.65.0.5/32", "10.65.0.99/32"], "allowedIps": ["10.65.0.99/32"], "ipNATs": [{"internalIP": "10.65.0.5", "externalIP": "172.24.4.10"}], "qosControls": {"egressBurst": 4294967296, "egressBandwidth": 10000000, "ingressMaxConnections": 100}}}`;

const GO_WEP = '{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"compute--1-openstack-9d0c8f5e--4b3a-2f0b7c1e--aa11","namespace":"openstack-region-regionone","uid":"6f1d7d0e-8c55-4a59-9d7c-6a1e0f4b2c3d","creationTimestamp":"2026-03-04T05:06:07Z","labels":{"projectcalico.org/namespace":"openstack-region-regionone","projectcalico.org/orchestrator":"openstack","sg.projectcalico.org/openstack-web":"web"},"annotations":{"openstack.projectcalico.org/network-id":"net-1"}},"spec":{"orchestrator":"openstack","workload":"9d0c8f5e-4b3a","node":"compute-1","endpoint":"2f0b7c1e-aa11","ipNetworks":["10.65.0.5/32","10.65.0.99/32"],"ipNATs":[{"internalIP":"10.65.0.5","externalIP":"172.24.4.10"}],"ipv4Gateway":"10.65.0.1","interfaceName":"tap2f0b7c1e-aa","mac":"fa:16:3e:12:34:56","qosControls":{"egressBandwidth":10000000,"egressBurst":4294967296,"ingressMaxConnections":100},"allowedIps":["10.65.0.99/32"]}}';

test('encodeResource() writes a networking-calico WorkloadEndpoint as Go would, keeping allowedIps after the known members', () => {
  const wep = decoded(JSON.parse(NETWORKING_CALICO_WEP), 'keep');
  assert.equal(encodeResource(wep), GO_WEP);
  assert.equal(encodeResource(decoded(JSON.parse(GO_WEP), 'keep')), GO_WEP);
});

test('decodeResource() rejects networking-calico\'s allowedIps when decoding strictly, as calicoctl does', () => {
  const { resource, errors } = decodeResource(JSON.parse(NETWORKING_CALICO_WEP));
  assert.equal(resource, undefined);
  assert.deepEqual(errors, [{ field: 'spec.allowedIps', reason: 'field in document is not recognized or is in the wrong location: allowedIps' }]);
  assert.deepEqual(validateResource(JSON.parse(NETWORKING_CALICO_WEP), { unknownFields: 'keep' }), []);
});

const base = (kind: string, spec: unknown, extra: object = {}) =>
  ({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name: 'x', creationTimestamp: '2026-01-02T03:04:05Z' }, spec, ...extra });

test('encodeResource() writes Go zero values of members without omitempty', () => {
  const wep = decoded(base('WorkloadEndpoint', { interfaceName: 'tap1', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
  assert.match(encodeResource(wep), /"ports":\[\{"name":"http","protocol":"TCP","port":80,"hostPort":0,"hostIP":""\}\]/);
  const tier = decoded(base('Tier', { order: 100 }));
  assert.match(encodeResource(tier), /"spec":\{"order":100\},"status":\{\}\}$/);
});

test('encodeResource() writes ports and protocols in their canonical JSON forms', () => {
  const np = decoded(base('NetworkPolicy', { ingress: [{ action: 'Allow', protocol: '6', destination: { ports: ['80', '8080:8080', '1000:2000', 'http'] } }] }));
  assert.match(encodeResource(np), /\{"action":"Allow","protocol":6,"destination":\{"ports":\[80,8080,"1000:2000","http"\]\}\}/);
});

test('encodeResource() drops an empty rule side but keeps one holding an empty list (Go omitzero)', () => {
  const np = decoded(base('NetworkPolicy', { ingress: [{ action: 'Allow', source: {}, destination: { ports: [] } }] }));
  assert.match(encodeResource(np), /"ingress":\[\{"action":"Allow","destination":\{\}\}\]/);
});

test('encodeResource() escapes <, > and & as Go does', () => {
  const np = decoded(base('NetworkPolicy', { selector: "a == 'x' && b == '<y>'" }));
  assert.match(encodeResource(np), /"selector":"a == 'x' \\u0026\\u0026 b == '\\u003cy\\u003e'"/);
});

test('goJSON() writes lone surrogates as U+FFFD, as Go does for invalid UTF-8', () => {
  assert.equal(goJSON({ a: 'x\ud800y', b: '\\ud800', c: '\ud83d\ude00' }), '{"a":"x\\ufffdy","b":"\\\\ud800","c":"\ud83d\ude00"}');
});

test('encodeResource() writes a missing creationTimestamp as null, as Go does for metav1.Time', () => {
  assert.equal(encodeResource(decoded({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'n' } })),
    '{"kind":"GlobalNetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"n","creationTimestamp":null},"spec":{}}');
});

test('decodeResource() writes timestamps back in UTC with whole seconds', () => {
  const res = decoded({ apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'p', creationTimestamp: '2026-01-02T05:04:05.75+02:00' } });
  assert.equal(res.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
});

test('encodeResource() keeps the spec of a kind without a schema as given', () => {
  const res = { apiVersion: 'projectcalico.org/v3', kind: 'StagedKubernetesNetworkPolicy', metadata: { name: 'k', namespace: 'ns', creationTimestamp: '2026-01-02T03:04:05Z' }, spec: { b: 1, a: 2 } };
  assert.equal(encodeResource(res), '{"kind":"StagedKubernetesNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"k","namespace":"ns","creationTimestamp":"2026-01-02T03:04:05Z"},"spec":{"b":1,"a":2}}');
});
