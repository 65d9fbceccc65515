/**
 * Unit tests of `sameContent`, the resync's "already correct" test: member order does not
 * matter, array order does, and Go's omitempty forms (absent, null, "", [], {}) are equal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameContent } from './same-content.ts';

describe('sameContent()', () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['equal scalars', 4, 4, true],
    ['different scalars', 4, 6, false],
    ['a number and its string', 6, '6', false],
    ['member order', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    ['array order', [1, 2], [2, 1], false],
    ['an empty list stored as nothing', { ingress: [{ action: 'Allow' }], egress: [] }, { ingress: [{ action: 'Allow' }] }, true],
    ['an empty map, string or null stored as nothing', { a: {}, b: '', c: null }, {}, true],
    ['a member only on the stored side', { a: 1 }, { a: 1, extra: 'x' }, false],
    ['false is not nothing', { datastoreReady: false }, {}, false],
    ['zero is not nothing', { port: 0 }, {}, false],
    ['nested difference', { spec: { ipNetworks: ['10.0.0.1/32'] } }, { spec: { ipNetworks: ['10.0.0.2/32'] } }, false],
    ['an array against an object', [], {}, true],
    ['a non-empty array against an object', [1], { 0: 1 }, false],
  ];
  for (const [name, a, b, expected] of cases) {
    it(`sameContent() ${expected ? 'accepts' : 'rejects'} ${name}`, () => {
      assert.equal(sameContent(a, b), expected);
      assert.equal(sameContent(b, a), expected, 'symmetric');
    });
  }
});
