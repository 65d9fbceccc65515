import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { applyCreateDefaults } from './apply-defaults.ts';
import { encodeResource } from './codec.ts';
import { decodeResource } from './decode-resource.ts';
import type { Resource } from './types.ts';

const bgp = (name: string, spec: Record<string, unknown>): Resource =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'BGPConfiguration', metadata: { name }, spec });

const reasons = (res: Resource) => validateResource(res).map((e) => `${e.field}: ${e.reason}`);

test('validateResource() accepts the global BGP settings only on the default BGPConfiguration', () => {
  const global = {
    nodeToNodeMeshEnabled: false, asNumber: 64512, serviceClusterIPs: [{ cidr: '10.96.0.0/12' }],
    serviceExternalIPs: [{ cidr: '203.0.113.0/24' }], serviceLoadBalancerIPs: [{ cidr: '198.51.100.0/24' }],
  };
  assert.deepEqual(reasons(bgp('default', global)), []);
  assert.deepEqual(reasons(bgp('node.compute-1', { ...global, nodeToNodeMeshEnabled: true, nodeMeshMaxRestartTime: '2m', nodeMeshPassword: {} })), [
    'spec.nodeToNodeMeshEnabled: Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration.',
    'spec.asNumber: Cannot set ASNumber on a non default BGP Configuration.',
    'spec.serviceLoadBalancerIPs: Cannot set ServiceLoadBalancerIPs on a non default BGP Configuration.',
    'spec.serviceExternalIPs: Cannot set ServiceExternalIPs on a non default BGP Configuration.',
    'spec.serviceClusterIPs: Cannot set ServiceClusterIPs on a non default BGP Configuration.',
    'spec.nodeMeshPassword: Cannot set nodeMeshPassword on a non default BGP Configuration.',
    'spec.nodeMeshMaxRestartTime: Cannot set nodeMeshMaxRestartTime on a non default BGP Configuration.',
  ]);
  assert.deepEqual(reasons(bgp('node.compute-1', { listenPort: 1179, serviceClusterIPs: [], logSeverityScreen: 'debug' })), []);
});

test('applyCreateDefaults() fills the BGPConfiguration CRD defaults', () => {
  assert.deepEqual(applyCreateDefaults(bgp('default', {})).spec, { logSeverityScreen: 'Info', serviceLoadBalancerAggregation: 'Enabled' });
});

test('encodeResource() writes a BGPConfiguration in Go member order with canonical AS numbers and durations', () => {
  const { resource, errors } = decodeResource(bgp('default', {
    nodeMeshMaxRestartTime: '120s', listenPort: 179, asNumber: '1.10', nodeToNodeMeshEnabled: true, logSeverityScreen: 'Info',
  }));
  assert.deepEqual(errors, []);
  assert.equal(JSON.stringify(JSON.parse(encodeResource(resource!)).spec),
    '{"logSeverityScreen":"Info","nodeToNodeMeshEnabled":true,"asNumber":65546,"listenPort":179,"nodeMeshMaxRestartTime":"2m0s"}');
});
