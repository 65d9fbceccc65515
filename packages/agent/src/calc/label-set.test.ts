/**
 * Tests of the compact label sets: the compiled matcher agrees with `@percale/api`'s own
 * matcher on random selectors and labels, labels are checked as Calico checks them, and
 * inheritance follows Calico's precedence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { parseSelector } from '@percale/api';
import { isValidLabelValue, labelSetMatcher, labelValue, mergeLabelSets, readLabelSet, sameLabelSets, type LabelSet } from './label-set.ts';

function labelSetToRecord(set: LabelSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < set.length; i += 2) out[set[i]!] = set[i + 1]!;
  return out;
}
import { labelsArb, selectorArb } from './testing/arbitraries.ts';

describe('labelSetMatcher', () => {
  it('labelSetMatcher() agrees with Selector.matches on every selector and label map', () => {
    fc.assert(fc.property(selectorArb, labelsArb, (text, labels) => {
      const selector = parseSelector(text);
      // Labels as the datastore delivers them: parsed JSON.
      const set = readLabelSet(JSON.parse(JSON.stringify(labels)))!;
      assert.equal(labelSetMatcher(selector)(set), selector.matches(labels), `${text} on ${JSON.stringify(labels)}`);
    }), { numRuns: 2000 });
  });

  it('labelSetMatcher() compiles each selector object once', () => {
    const selector = parseSelector('has(a)');
    assert.equal(labelSetMatcher(selector), labelSetMatcher(selector));
  });
});

describe('readLabelSet', () => {
  it('readLabelSet() keeps the stored order and round-trips the map', () => {
    const set = readLabelSet({ b: '2', a: '1', c: '' })!;
    assert.deepEqual(set, ['b', '2', 'a', '1', 'c', '']);
    assert.deepEqual(labelSetToRecord(set), { a: '1', b: '2', c: '' });
    assert.equal(labelValue(set, 'c'), '');
    assert.equal(labelValue(set, 'd'), undefined);
    assert.ok(sameLabelSets(set, readLabelSet({ c: '', a: '1', b: '2' })!));
    assert.ok(!sameLabelSets(set, readLabelSet({ c: '', a: '1', b: '3' })!));
    assert.deepEqual(readLabelSet(undefined), []);
  });

  it('readLabelSet() refuses invalid names and values', () => {
    const bad: unknown[] = [{ a: 'fine', 'z z': 'x' }, { z: 'x y' }, { z: 'v'.repeat(64) }, { z: 3 }, { 'Z.Upper/x': 'y' }, { '-a': 'b' }, 'labels', ['a']];
    for (const labels of bad) assert.equal(readLabelSet(labels), undefined, JSON.stringify(labels));
  });

  it('isValidLabelValue() follows the Kubernetes label value rule', () => {
    const cases: [string, boolean][] = [['', true], ['a', true], ['a-b_c.d', true], ['v'.repeat(63), true], ['v'.repeat(64), false], ['-a', false], ['a-', false], ['a b', false], ['a/b', false], ['é', false]];
    for (const [value, valid] of cases) assert.equal(isValidLabelValue(value), valid, value);
  });

  it('readLabelSet() adjusts WorkloadEndpoint labels as Calico does', () => {
    const set = readLabelSet({ 'pcns.env': 'prod', 'pcsa.x': 'y', 'projectcalico.org/serviceaccount': 'spoof', app: 'a' }, true, 'a'.repeat(70))!;
    assert.deepEqual(labelSetToRecord(set), { app: 'a', 'projectcalico.org/serviceaccount': 'a'.repeat(70) });
    assert.deepEqual(labelSetToRecord(readLabelSet({ 'pcns.env': 'prod' })!), { 'pcns.env': 'prod' });
  });
});

describe('mergeLabelSets', () => {
  it('mergeLabelSets() keeps own labels and takes each missing one from the first parent that has it', () => {
    const own = readLabelSet({ role: 'web', a: '1' })!;
    const first = readLabelSet({ role: 'db', tier: 'front', pcns: 'x' })!;
    const second = readLabelSet({ tier: 'back', zone: 'z1' })!;
    assert.deepEqual(labelSetToRecord(mergeLabelSets(own, [first, second])), { role: 'web', a: '1', tier: 'front', pcns: 'x', zone: 'z1' });
  });

  it('mergeLabelSets() returns the own set itself when nothing is inherited', () => {
    const own = readLabelSet({ a: '1' })!;
    assert.equal(mergeLabelSets(own, []), own);
    assert.equal(mergeLabelSets(own, [['a', '2']]), own);
  });
});
