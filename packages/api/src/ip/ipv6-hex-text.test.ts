/** Tests for Go-style IPv6 hex text. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv6HexText } from './ipv6-hex-text.ts';

test('ipv6HexText() compresses the first longest zero run of two or more groups, and nothing else', () => {
  const cases: Array<[number[], string]> = [
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0xfe80, 0, 0, 0, 0, 0, 0, 0], 'fe80::'],
    [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'],
    [[0x2001, 0, 0, 1, 0, 0, 1, 1], '2001::1:0:0:1:1'],
    [[1, 0, 0, 2, 0, 0, 0, 3], '1:0:0:2::3'],
    // Never a dotted quad (glibc's inet_ntop writes these two with one).
    [[0, 0, 0, 0, 0, 0, 0x0a00, 0x0001], '::a00:1'],
    [[0, 0, 0, 0, 0, 0xffff, 0xc0a8, 0x0101], '::ffff:c0a8:101'],
  ];
  for (const [groups, want] of cases) assert.equal(ipv6HexText(groups), want, groups.map((g) => g.toString(16)).join(':'));
});
