import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { applyCreateDefaults, applyReadDefaults } from './apply-defaults.ts';
import { decodeResource } from './decode-resource.ts';
import { encodeResource } from './codec.ts';
import type { Resource } from './types.ts';

const pool = (spec: Record<string, unknown>, extra: Partial<Resource> = {}): Resource =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'pool-1' }, spec, ...extra });

test('applyCreateDefaults() canonicalises an IPPool CIDR and fills the pool defaults', () => {
  assert.deepEqual(applyCreateDefaults(pool({ cidr: '2001:DB8:0::/64' })).spec, {
    cidr: '2001:db8::/64', blockSize: 122, allowedUses: ['Workload', 'Tunnel'], nodeSelector: 'all()',
    ipipMode: 'Never', vxlanMode: 'Never', assignmentMode: 'Automatic',
  });
  assert.deepEqual(applyCreateDefaults(pool({ cidr: '10.65.0.0/16' })).spec?.blockSize, 26);
});

test('applyCreateDefaults() keeps explicit IPPool settings', () => {
  const spec = {
    cidr: '10.65.0.0/16', blockSize: 28, allowedUses: ['LoadBalancer'], nodeSelector: 'all()', ipipMode: 'Always',
    vxlanMode: 'Never', assignmentMode: 'Manual',
  };
  assert.deepEqual(applyCreateDefaults(pool(spec)).spec, spec);
});

test('applyCreateDefaults() leaves a CIDR with host bits as written, so validation rejects it', () => {
  const defaulted = applyCreateDefaults(pool({ cidr: '10.65.0.1/16' }));
  assert.equal(defaulted.spec?.cidr, '10.65.0.1/16');
  assert.deepEqual(validateResource(defaulted).map((e) => e.reason), ['IP pool CIDR is not strictly masked']);
});

test('validateResource() accepts a client-defaulted IPPool and rejects a bare address as its CIDR', () => {
  assert.deepEqual(validateResource(applyCreateDefaults(pool({ cidr: 'fd00:10:65::/48', natOutgoing: true }))), []);
  assert.deepEqual(validateResource(pool({ cidr: '10.65.0.1' })).map((e) => e.reason), ['must be of type cidr: "10.65.0.1"']);
  assert.deepEqual(validateResource(pool({})).map((e) => `${e.field}: ${e.reason}`), ['spec.cidr: IPPool CIDR must be specified']);
});

test('validateResource() checks an IPPool block size against the pool family and size', () => {
  const reasons = (spec: Record<string, unknown>) => validateResource(pool(spec)).map((e) => e.reason);
  assert.deepEqual(reasons({ cidr: '10.65.0.0/16', blockSize: 19 }),
    ['blockSize must be between 20 and 32 for IPv4 pools, and between 116 and 128 for IPv6 pools']);
  assert.deepEqual(reasons({ cidr: 'fd00::/120', blockSize: 124 }), []);
  assert.deepEqual(reasons({ cidr: '10.65.0.0/29', blockSize: 28 }),
    ['IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.']);
  assert.deepEqual(reasons({ cidr: '10.65.0.0/29', blockSize: 28, disabled: true }), []);
  assert.deepEqual(reasons({ cidr: '169.0.0.0/8' }), ['IPPool CIDR overlaps with IPv4 link local range 169.254.0.0/16']);
});

test('applyReadDefaults() gives a stored IPPool the defaults older writers left out', () => {
  const stored = pool({ cidr: '192.168.0.0/16', ipipMode: 'Always', natOutgoing: true });
  assert.deepEqual(applyReadDefaults(stored).spec, {
    cidr: '192.168.0.0/16', ipipMode: 'Always', natOutgoing: true, blockSize: 26, allowedUses: ['Workload', 'Tunnel'],
    nodeSelector: 'all()', vxlanMode: 'Never', assignmentMode: 'Automatic',
  });
  const unparsable = pool({ cidr: 'garbage' });
  assert.equal(applyReadDefaults(unparsable), unparsable);
});

test('encodeResource() writes an IPPool in Go member order and its status only when present', () => {
  const text = '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool",' +
    '"uid":"0b5b6a3e-2b61-4f0e-9b1f-3a7f0f6b2c10","creationTimestamp":"2026-01-02T03:04:05Z"},' +
    '"spec":{"cidr":"10.65.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,' +
    '"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}';
  const scrambled = JSON.parse(text) as Resource;
  scrambled.spec = Object.fromEntries(Object.entries(scrambled.spec!).reverse());
  const { resource, errors } = decodeResource(scrambled);
  assert.deepEqual(errors, []);
  assert.equal(encodeResource(resource!), text);
  const withStatus = { ...resource!, status: { conditions: [] } };
  assert.match(encodeResource(withStatus), /"status":\{\}\}$/);
});
