import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { canonicalNet, cidrContains, parseCidr } from './cidr.ts';

describe('cidr', () => {
  // Expected texts are what nft 1.0.6 lists (glibc inet_ntop), so read-backs compare equal.
  const canonical: [string, string | undefined][] = [
    ['10.65.0.2/32', '10.65.0.2'],
    ['10.65.0.2', '10.65.0.2'],
    ['10.65.1.7/16', '10.65.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:0:0:0:0:0:0:2/128', 'fd00::2'],
    ['FD00::/8', 'fd00::/8'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['::', '::'],
    ['::1', '::1'],
    ['::/0', '::/0'],
    ['::ffff:0:0/96', '::ffff:0.0.0.0/96'],
    ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
    ['::102:304', '::1.2.3.4'],
    ['fe80::1%eth0', undefined],
    ['10.0.0.256', undefined],
    ['010.0.0.1', undefined],
    ['10.0.0.0/33', undefined],
    ['fd00::/129', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['', undefined],
  ];
  for (const [input, want] of canonical) {
    it(`canonicalNet() turns ${JSON.stringify(input)} into ${JSON.stringify(want)}`, () => {
      assert.equal(canonicalNet(input), want);
    });
  }

  it('cidrContains() holds for equal and nested networks of one family only', () => {
    const p = (t: string) => parseCidr(t)!;
    assert.ok(cidrContains(p('10.0.0.0/8'), p('10.1.2.3')));
    assert.ok(cidrContains(p('10.0.0.0/8'), p('10.0.0.0/8')));
    assert.ok(!cidrContains(p('10.1.2.3'), p('10.0.0.0/8')));
    assert.ok(!cidrContains(p('11.0.0.0/8'), p('10.1.2.3')));
    assert.ok(cidrContains(p('::/0'), p('fd00::1')));
    assert.ok(!cidrContains(p('0.0.0.0/0'), p('fd00::1')));
  });
});
