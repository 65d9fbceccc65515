import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { encodeResource } from './codec.ts';
import { decodeResource } from './decode-resource.ts';

test('validateResource() accepts ClusterInformation only under the name default', () => {
  const info = (name: string) => ({ apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name }, spec: { datastoreReady: true } });
  assert.deepEqual(validateResource(info('default')), []);
  assert.deepEqual(validateResource(info('other')).map((e) => e.reason),
    ['Cannot create a Cluster Information resource with a name other than "default"']);
});

test('encodeResource() writes ClusterInformation in Go member order, datastoreReady even when false', () => {
  const text = '{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","creationTimestamp":"2026-01-02T03:04:05Z"},' +
    '"spec":{"clusterGUID":"0b5b6a3e2b614f0e9b1f3a7f0f6b2c10","clusterType":"openstack,bgp","calicoVersion":"v3.32.0","datastoreReady":false}}';
  const { resource } = decodeResource(JSON.parse(text));
  assert.equal(encodeResource(resource!), text);
});
