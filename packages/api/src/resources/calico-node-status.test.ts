import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { encodeResource } from './codec.ts';
import type { Resource } from './types.ts';

const status = (spec: Record<string, unknown>): Resource =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'CalicoNodeStatus', metadata: { name: 'compute-1-bgp' }, spec });

test('validateResource() requires a CalicoNodeStatus node, classes and period (0 is a period)', () => {
  assert.deepEqual(validateResource(status({ node: 'compute-1', classes: ['BGP', 'Routes'], updatePeriodSeconds: 0 })), []);
  assert.deepEqual(validateResource(status({})).map((e) => e.field), ['spec.node', 'spec.classes', 'spec.updatePeriodSeconds']);
  assert.deepEqual(validateResource(status({ node: 'compute-1', classes: ['BGP', 'BGP'], updatePeriodSeconds: 86401 })).map((e) => e.field),
    ['spec.classes[1]', 'spec.updatePeriodSeconds']);
});

test('encodeResource() writes the whole CalicoNodeStatus status tree, as Go does', () => {
  assert.equal(JSON.stringify(JSON.parse(encodeResource(status({ node: 'compute-1', classes: ['Agent'], updatePeriodSeconds: 10 }))).status),
    '{"lastUpdated":null,"agent":{"birdV4":{},"birdV6":{}},"bgp":{"numberEstablishedV4":0,"numberNotEstablishedV4":0,' +
    '"numberEstablishedV6":0,"numberNotEstablishedV6":0},"routes":{}}');
});
