/**
 * Tests of the compact label sets: the compiled matcher agrees with `@percale/api`'s own
 * matcher on random selectors and labels, inheritance follows Calico's precedence, and the
 * interner forgets strings when their last label set is released.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { parseSelector } from '@percale/api';
import { labelSetMatcher, labelSetToRecord, labelValue, mergeLabelSets, sameLabelSets, StringInterner } from './label-set.ts';
import { labelsArb, selectorArb } from './testing/arbitraries.ts';

describe('labelSetMatcher', () => {
  it('labelSetMatcher() agrees with Selector.matches on every selector and label map', () => {
    const interner = new StringInterner();
    fc.assert(fc.property(selectorArb, labelsArb, (text, labels) => {
      const selector = parseSelector(text);
      // Labels as the datastore delivers them: parsed JSON.
      const set = interner.labelSet(JSON.parse(JSON.stringify(labels)) as Record<string, string>);
      assert.equal(labelSetMatcher(selector)(set), selector.matches(labels), `${text} on ${JSON.stringify(labels)}`);
    }), { numRuns: 2000 });
  });

  it('labelSetMatcher() compiles each selector object once', () => {
    const selector = parseSelector('has(a)');
    assert.equal(labelSetMatcher(selector), labelSetMatcher(selector));
  });
});

describe('StringInterner', () => {
  it('StringInterner.labelSet() sorts keys and round-trips the map', () => {
    const interner = new StringInterner();
    const set = interner.labelSet({ b: '2', a: '1', c: '' });
    assert.deepEqual(set, ['a', '1', 'b', '2', 'c', '']);
    assert.deepEqual(labelSetToRecord(set), { a: '1', b: '2', c: '' });
    assert.equal(labelValue(set, 'c'), '');
    assert.equal(labelValue(set, 'd'), undefined);
  });

  it('StringInterner shares equal values and forgets them with their last set', () => {
    const interner = new StringInterner();
    const value = ['openstack', 'region'].join('-');
    const a = interner.labelSet({ k: value });
    const b = interner.labelSet(JSON.parse('{"k":"openstack-region","j":"x"}') as Record<string, string>);
    assert.equal(interner.size, 2);
    assert.ok(sameLabelSets(a, ['k', 'openstack-region']));
    interner.releaseAll(a);
    assert.equal(interner.size, 2);
    interner.releaseAll(b);
    assert.equal(interner.size, 0);
  });
});

describe('mergeLabelSets', () => {
  it('mergeLabelSets() keeps own labels and takes each missing one from the first parent that has it', () => {
    const interner = new StringInterner();
    const own = interner.labelSet({ role: 'web', a: '1' });
    const first = interner.labelSet({ role: 'db', tier: 'front', pcns: 'x' });
    const second = interner.labelSet({ tier: 'back', zone: 'z1' });
    assert.deepEqual(labelSetToRecord(mergeLabelSets(own, [first, second])), { a: '1', pcns: 'x', role: 'web', tier: 'front', zone: 'z1' });
  });

  it('mergeLabelSets() returns the own set itself when nothing is inherited', () => {
    const own = new StringInterner().labelSet({ a: '1' });
    assert.equal(mergeLabelSets(own, []), own);
    assert.equal(mergeLabelSets(own, [['a', '2']]), own);
  });
});
