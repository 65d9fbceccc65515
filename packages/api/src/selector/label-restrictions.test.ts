/**
 * `labelRestrictions()` against the cases of Calico's label_restriction_test.go: what each
 * operator implies, how AND intersects and OR keeps only common facts, and that wrapping a
 * selector in `all() && (…)` changes nothing.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { LabelRestriction } from './label-restrictions.ts';
import { parseSelector } from './selector.ts';

/** Present, with any value. */
const present = (): LabelRestriction => ({ mustBePresent: true, mustBeAbsent: false });
/** Present with a value list, even an empty one (which nothing can satisfy). */
const oneOf = (...values: string[]): LabelRestriction => ({ mustBePresent: true, mustBeAbsent: false, mustHaveOneOfValues: values });
const absent: LabelRestriction = { mustBePresent: false, mustBeAbsent: true };

const cases: [string, Record<string, LabelRestriction>][] = [
  ['', {}],
  ['all()', {}],
  ['global()', {}],
  ["a == 'value'", { a: oneOf('value') }],
  ['has(a)', { a: present() }],
  ["a in {'v1','v2'}", { a: oneOf('v1', 'v2') }],
  ["a not in {'v1','v2'}", {}],
  ["a contains 'foo'", { a: present() }],
  ["a ends with 'foo'", { a: present() }],
  ["a starts with 'foo'", { a: present() }],
  ["a != 'value'", {}],
  // AND
  ["a == 'v1' && a == 'v1'", { a: oneOf('v1') }],
  ["a == 'v1' && a == 'v2'", { a: oneOf() }],
  ["a == 'v1' && has(a)", { a: oneOf('v1') }],
  ["a in {'v1','v2'} && a in {'v2','v3'} ", { a: oneOf('v2') }],
  ["a in {'v1','v2', 'v3'} && a in {'v2','v3'} ", { a: oneOf('v2', 'v3') }],
  ["has(a) && a == 'v1'", { a: oneOf('v1') }],
  ['has(a) && !has(a)', { a: { mustBePresent: true, mustBeAbsent: true } }],
  ["a == 'v1' && b == 'v2'", { a: oneOf('v1'), b: oneOf('v2') }],
  ["a == 'v1' && all()", { a: oneOf('v1') }],
  ["all() && a == 'v1'", { a: oneOf('v1') }],
  // OR
  ["a == 'v1' || a == 'v2'", { a: oneOf('v1', 'v2') }],
  ["has(a) || a == 'v2'", { a: present() }],
  ["a=='v2' || has(a)", { a: present() }],
  ["a=='v2' || has(b)", {}],
  ["a=='v2' || (has(b) && has(a))", { a: present() }],
  ["a == 'v1' || b == 'v2'", {}],
  ["a == 'v1' || all()", {}],
  ["all() || b == 'v2'", {}],
  ['!has(a) || !has(a)', { a: absent }],
  // NOT
  ["!(a == 'value')", {}],
  ['!has(a)', { a: absent }],
  ['!!has(a)', { a: present() }],
];

describe('Selector.labelRestrictions()', () => {
  for (const [text, expected] of cases) {
    it(`Selector.labelRestrictions() of ${JSON.stringify(text)} is ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(Object.fromEntries(parseSelector(text).labelRestrictions()), expected);
      if (text !== '') {
        assert.deepEqual(Object.fromEntries(parseSelector(`all() && (${text})`).labelRestrictions()), expected, 'with all() && prefix');
      }
    });
  }
});
