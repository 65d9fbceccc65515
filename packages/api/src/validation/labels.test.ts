import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAnnotations, labelValueProblems, qualifiedNameProblems } from './labels.ts';
import { globalNetworkPolicyNameProblems, networkPolicyNameProblems, portNameProblems, resourceNameProblems, tierNameProblems } from './names.ts';
import type { Issue } from '../schema/types.ts';

test('qualifiedNameProblems() follows Kubernetes IsQualifiedName', () => {
  for (const ok of ['app', 'My.Name', 'projectcalico.org/tier', 'a/B_c-1', 'x'.repeat(63)]) assert.deepEqual(qualifiedNameProblems(ok), [], ok);
  assert.deepEqual(qualifiedNameProblems('/foo'), ['prefix part must be non-empty']);
  assert.equal(qualifiedNameProblems('Foo.org/bar').length, 1);
  assert.equal(qualifiedNameProblems('a/b/c').length, 1);
  assert.match(qualifiedNameProblems('x'.repeat(64))[0]!, /no more than 63 characters/);
  assert.match(qualifiedNameProblems('.mylabel')[0]!, /^name part must consist of alphanumeric characters/);
});

test('labelValueProblems() allows empty values and limits length to 63', () => {
  assert.deepEqual(labelValueProblems(''), []);
  assert.deepEqual(labelValueProblems('v'.repeat(63)), []);
  assert.deepEqual(labelValueProblems('v'.repeat(64)), ['must be no more than 63 characters']);
  assert.equal(labelValueProblems('a b').length, 1);
});

test('checkAnnotations() lower-cases keys before checking and bounds the total size', () => {
  const issues: Issue[] = [];
  checkAnnotations({ 'ProjectCalico.org/Label': 'any value at all' }, ['metadata', 'annotations'], issues);
  assert.equal(issues.length, 0);
  checkAnnotations({ big: 'x'.repeat(256 * 1024) }, ['metadata', 'annotations'], issues);
  assert.deepEqual(issues.map((i) => i.reason), ['total size of annotations is too large by 3 bytes']);
});

test('name rules of resources.md §1.3', () => {
  const table: [(n: string) => string[], string, boolean][] = [
    [resourceNameProblems, 'a.b.c', true], [resourceNameProblems, 'A', false], [resourceNameProblems, '', false],
    [tierNameProblems, 'kube-admin', true], [tierNameProblems, 'a.b', false], [tierNameProblems, 'x'.repeat(64), false],
    [networkPolicyNameProblems, 'a.b', true], [networkPolicyNameProblems, 'a.b.c', false],
    [networkPolicyNameProblems, 'ossg.default.4f1c-aa.b', true], [networkPolicyNameProblems, 'knp.default.x.y', true],
    [networkPolicyNameProblems, 'x'.repeat(253), true], [networkPolicyNameProblems, 'x'.repeat(254), false],
    [globalNetworkPolicyNameProblems, 'a.b', true], [globalNetworkPolicyNameProblems, 'knp.default.x', false],
  ];
  for (const [rule, name, ok] of table) assert.equal(rule(name).length === 0, ok, `${rule.name}(${name.slice(0, 20)})`);
});

test('portNameProblems() follows Kubernetes IsValidPortName', () => {
  for (const ok of ['http', 'a-valid-port', 'h2c', 'x'.repeat(15)]) assert.deepEqual(portNameProblems(ok), [], ok);
  assert.deepEqual(portNameProblems('80'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(portNameProblems('a--b'), ['must not contain consecutive hyphens']);
  assert.deepEqual(portNameProblems('-ab'), ['must not begin or end with a hyphen']);
  assert.deepEqual(portNameProblems('Http'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']);
  assert.deepEqual(portNameProblems('x'.repeat(16)), ['must be no more than 15 characters']);
});
