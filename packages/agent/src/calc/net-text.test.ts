/**
 * Tests of network text: the fast paths give exactly the canonical networks of
 * `@percale/api`'s Go-exact parser, and reject what it rejects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { canonicalCIDR } from '@percale/api';
import { networkAddressText, parseAddress, parseNetwork } from './net-text.ts';

describe('parseNetwork', () => {
  const cases: [string, string | undefined][] = [
    ['10.65.0.17', '10.65.0.17/32'], ['10.65.0.17/32', '10.65.0.17/32'], ['10.65.0.17/24', '10.65.0.0/24'], ['10.1.2.3/032', '10.1.2.3/32'],
    ['0.0.0.0/0', '0.0.0.0/0'], ['255.255.255.255/1', '128.0.0.0/1'], ['10.0.0.1/33', undefined], ['010.0.0.1', undefined],
    ['10.0.0', undefined], ['10.0.0.256', undefined], ['10.0.0.1/', undefined], ['10..0.1', undefined],
    ['fd00::2', 'fd00::2/128'], ['FD00:0:0:0:0:0:0:2/64', 'fd00::/64'], ['1:0:0:1:0:0:0:1', '1:0:0:1::1/128'], ['::', '::/128'],
    ['::ffff:10.0.0.1', '10.0.0.1/32'], ['fd00::1/129', undefined], ['1::2::3', undefined], ['12345::', undefined], ['', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`parseNetwork() reads ${JSON.stringify(text)}`, () => assert.equal(parseNetwork(text)?.text, expected));
  }

  it('parseNetwork() agrees with canonicalCIDR on generated addresses', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.option(fc.nat(32))).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}${p === null ? '' : `/${p}`}`);
    const group = fc.oneof(fc.constant('0'), fc.nat(0xffff).map((n) => n.toString(16)), fc.constant('FFFF'));
    const v6 = fc.tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.nat(7), fc.nat(8), fc.option(fc.nat(128)))
      .map(([gs, start, len, p]) => {
        const text = len > 0 && start + len <= 8 ? `${gs.slice(0, start).join(':')}::${gs.slice(start + len).join(':')}` : gs.join(':');
        return `${text}${p === null ? '' : `/${p}`}`;
      });
    fc.assert(fc.property(fc.oneof(v4, v6), (text) => assert.equal(parseNetwork(text)?.text, canonicalCIDR(text), text)), { numRuns: 3000 });
  });
});

describe('parseAddress', () => {
  it('parseAddress() accepts bare addresses only', () => {
    assert.deepEqual(parseAddress('172.16.0.1'), { text: '172.16.0.1', version: 4 });
    assert.deepEqual(parseAddress('FD00::1'), { text: 'fd00::1', version: 6 });
    assert.equal(parseAddress('172.16.0.1/32'), undefined);
    assert.equal(networkAddressText('fd00::1/128'), 'fd00::1');
  });
});
