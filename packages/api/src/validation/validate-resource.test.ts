import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../errors.ts';
import { validateFragment, validateResource } from './validate-resource.ts';

const np = (spec: unknown, metadata: object = { name: 'p', namespace: 'ns' }) =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata, spec });

test('validateResource() accepts a valid policy and names every problem of an invalid one by JSON path', () => {
  assert.deepEqual(validateResource(np({ selector: "role == 'web'", ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [22, 'http'] } }] })), []);
  const errors = validateResource(np({ ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [22, 'Bad_Name'], nets: ['10.0.0.1/8'] } }] },
    { name: 'p', namespace: 'ns', labels: { 'Foo/bar': 'x' } }));
  assert.deepEqual(errors.map((e) => e.field), [
    'metadata.labels["Foo/bar"]',
    'spec.ingress[0].destination.nets[0]',
    'spec.ingress[0].destination.ports[1]',
  ]);
});

test('validateResource() reports decode errors alone, without running the checks', () => {
  const errors = validateResource(np({ ingress: [{ action: 'Allow', protocol: [6] }], order: 'first', selector: 'bad (' }));
  assert.deepEqual(errors, [
    { field: 'spec.ingress[0].protocol', value: [6], reason: 'a protocol must be a number or a string, not object' },
    { field: 'spec.order', value: 'first', reason: 'expected number, got string' },
  ]);
});

test('validateResource() rejects unknown kinds, versions and top-level members', () => {
  assert.deepEqual(validateResource({ apiVersion: 'projectcalico.org/v3', kind: 'Nope', metadata: { name: 'x' } }),
    [{ field: 'kind', value: 'Nope', reason: 'unknown resource type (Nope) and/or version (projectcalico.org/v3)' }]);
  assert.equal(validateResource({ ...np({}), apiVersion: 'crd.projectcalico.org/v1' })[0]!.field, 'apiVersion');
  assert.deepEqual(validateResource({ ...np({}), status: {} }),
    [{ field: 'status', reason: 'field in document is not recognized or is in the wrong location: status' }]);
  assert.equal(validateResource('not an object').length, 1);
  assert.match(validateResource({ apiVersion: 'projectcalico.org/v3', kind: 'StagedKubernetesNetworkPolicy', metadata: { name: 'x' } })[0]!.reason,
    /has no schema/);
});

test('validateResource() validates the CRD-defaulted object (a default tier with no action gets Deny)', () => {
  assert.deepEqual(validateResource({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'default' }, spec: { order: 1000000 } }), []);
});

test('validateResource() accepts Tier status', () => {
  const tier = {
    apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'web' }, spec: { order: 10 },
    status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'Ok', message: '' }] },
  };
  assert.deepEqual(validateResource(tier), []);
});

test('validateResource() gives Calico\'s single-field message for a bad rule port', () => {
  const errors = validateResource(np({ ingress: [{ action: 'Allow', protocol: 'TCP', destination: { notPorts: ['0:456'] } }] }));
  assert.equal(new ValidationError(errors).message,
    "error with field spec.ingress[0].destination.notPorts[0] = '0' (port range invalid, port number must be between 1 and 65535)");
});

test('validateResource() applies Rule checks inside Profiles too', () => {
  const profile = { apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'pro' }, spec: { ingress: [{ action: 'Jump' }] } };
  assert.equal(validateResource(profile)[0]!.field, 'spec.ingress[0].action');
});

test('validateFragment() names the type for problems with the value as a whole', () => {
  assert.deepEqual(validateFragment('Protocol', 0), [{ field: 'Protocol', value: 0, reason: 'protocol number invalid' }]);
  assert.deepEqual(validateFragment('Rule', null), [{ field: 'Rule', reason: 'expected Rule, got null' }]);
  assert.throws(() => validateFragment('Nope', {}), RangeError);
});

test('validateResource() treats members named like Object.prototype properties as unknown fields', () => {
  for (const name of ['valueOf', 'toString', 'constructor', 'hasOwnProperty']) {
    const errors = validateResource({
      apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata: { name: 'a', namespace: 'n' }, spec: { [name]: 0 },
    });
    assert.ok(errors.some((e) => e.field === `spec.${name}` && /not recognized/.test(e.reason)), `${name}: ${JSON.stringify(errors)}`);
  }
});
