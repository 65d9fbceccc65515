import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { encodeResource } from './codec.ts';
import type { Resource } from './types.ts';

const ipam = (spec: Record<string, unknown>): Resource =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'IPAMConfiguration', metadata: { name: 'default' }, spec });

test('encodeResource() always writes the IPAMConfiguration booleans, as Go does', () => {
  assert.match(encodeResource(ipam({ maxBlocksPerHost: 4 })), /"spec":\{"strictAffinity":false,"maxBlocksPerHost":4,"autoAllocateBlocks":false\}/);
});

test('validateResource() bounds IPAMConfiguration limits', () => {
  assert.deepEqual(validateResource(ipam({ strictAffinity: true, autoAllocateBlocks: true, ipCooldownSeconds: 1200 })), []);
  assert.deepEqual(validateResource(ipam({ maxBlocksPerHost: -1, ipCooldownSeconds: 1201, kubeVirtVMAddressPersistence: 'On' })).map((e) => e.field),
    ['spec.maxBlocksPerHost', 'spec.kubeVirtVMAddressPersistence', 'spec.ipCooldownSeconds']);
});
