/** Tests of the IPPool CIDR rules, including Calico's CIDR-change vectors. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { canonicalCIDR, ipPoolCidrChangeAllowed, ipPoolsOverlap } from './ip-pool-cidr.ts';

const vectorsDir = join(import.meta.dirname, '../../../../../shared/conformance/calico-vectors');
const changes = (JSON.parse(readFileSync(join(vectorsDir, 'defaults.json'), 'utf8')) as { test: string; oldCidr?: string; newCidr?: string; allowed?: boolean }[])
  .filter((r) => r.test === 'ippoolCidrChangeOK');

describe('ipPoolCidrChangeAllowed()', () => {
  for (const r of changes) {
    it(`${r.allowed ? 'allows' : 'refuses'} ${r.oldCidr} -> ${r.newCidr}`, () => {
      assert.equal(ipPoolCidrChangeAllowed(r.oldCidr!, r.newCidr!), r.allowed);
    });
  }
});

describe('canonicalCIDR()', () => {
  const cases: [string, string | undefined][] = [
    ['10.65.0.0/16', '10.65.0.0/16'],
    ['10.65.3.7/16', '10.65.0.0/16'],
    ['2001:DB8:0::/64', '2001:db8::/64'],
    ['2001:0:0:1:0:0:0:1/128', '2001:0:0:1::1/128'],
    ['fd00:0:0:0:1:0:0:0/64', 'fd00::/64'],
    ['10.0.0.1', '10.0.0.1/32'],
    ['nonsense', undefined],
  ];
  for (const [input, want] of cases) it(`formats ${input}`, () => assert.equal(canonicalCIDR(input), want));
});

describe('ipPoolsOverlap()', () => {
  it('detects containment in both directions and ignores other families', () => {
    assert.equal(ipPoolsOverlap('10.65.0.0/16', '10.65.4.0/24'), true);
    assert.equal(ipPoolsOverlap('10.65.4.0/24', '10.65.0.0/16'), true);
    assert.equal(ipPoolsOverlap('10.65.0.0/16', '10.66.0.0/16'), false);
    assert.equal(ipPoolsOverlap('fd00::/48', 'fd00:0:0:1::/64'), true);
    assert.equal(ipPoolsOverlap('10.0.0.0/8', '::/0'), false);
  });
});
