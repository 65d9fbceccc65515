import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import type { Resource } from './types.ts';

const reasons = (res: Resource) => validateResource(res).map((e) => `${e.field}: ${e.reason}`);

test('validateResource() checks BGPFilter rules per address family', () => {
  const filter = (spec: Record<string, unknown>): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'BGPFilter', metadata: { name: 'f' }, spec });
  assert.deepEqual(reasons(filter({
    exportV4: [{ cidr: '10.65.0.0/16', matchOperator: 'In', prefixLength: { min: 16, max: 26 }, action: 'Accept', operations: [{ setPriority: { value: 512 } }] }],
    importV6: [{ cidr: 'fd00::/48', matchOperator: 'NotIn', action: 'Reject' }],
  })), []);
  assert.deepEqual(reasons(filter({ exportV4: [{ action: 'Reject', operations: [{ prependASPath: { prefix: [65000] } }] }] })),
    ['spec.exportV4[0].operations: operations may only be used with action Accept']);
  assert.deepEqual(reasons(filter({ importV4: [{ cidr: '10.65.0.0/16', matchOperator: 'In', prefixLength: { max: 33 }, action: 'Accept' }] })),
    ['spec.importV4[0].prefixLength.max: should be less than or equal to 32']);
});
