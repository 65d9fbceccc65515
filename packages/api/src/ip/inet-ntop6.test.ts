/** Tests for glibc-style IPv6 formatting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inetNtop6 } from './inet-ntop6.ts';

test('inetNtop6() writes addresses as glibc inet_ntop does', () => {
  const cases: Array<[number[], string]> = [
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xa], '2001:db8::a'],
    [[0xfe80, 0, 0, 0, 0, 0, 0, 0], 'fe80::'],
    // A single zero group is not compressed; of two equal runs the first is.
    [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'],
    [[0x2001, 0, 0, 1, 0, 0, 1, 1], '2001::1:0:0:1:1'],
    [[1, 0, 0, 2, 0, 0, 0, 3], '1:0:0:2::3'],
    [[0xabcd, 0xef01, 0x2345, 0x6789, 0xabcd, 0xef01, 0x2345, 0x6789], 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
    // IPv4-compatible and IPv4-mapped keep a dotted quad; other ::/96 forms do not.
    [[0, 0, 0, 0, 0, 0, 0x0a00, 0x0001], '::10.0.0.1'],
    [[0, 0, 0, 0, 0, 0xffff, 0xc0a8, 0x0101], '::ffff:192.168.1.1'],
    [[0, 0, 0, 0, 0, 0xfffe, 0xc0a8, 0x0101], '::fffe:c0a8:101'],
    [[0, 0, 0, 0, 0, 0xffff, 0, 0], '::ffff:0.0.0.0'],
  ];
  for (const [groups, want] of cases) assert.equal(inetNtop6(groups), want, groups.map((g) => g.toString(16)).join(':'));
});
