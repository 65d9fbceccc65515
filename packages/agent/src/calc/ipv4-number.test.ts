/**
 * Tests of the 32-bit-number IPv4 helpers the encapsulation code uses: parsing (strict dotted
 * quads, prefix lengths), network numbers and formatting back to text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatIPv4, ipv4Network, ipv4ToNumber, parseIPv4Cidr } from './ipv4-number.ts';

describe('ipv4-number', () => {
  it('parseIPv4Cidr() reads addresses and networks and refuses bad text', () => {
    assert.deepEqual(parseIPv4Cidr('10.0.0.5/24'), [0x0a000005, 24]);
    assert.deepEqual(parseIPv4Cidr('10.0.0.5'), [0x0a000005, 32]);
    for (const bad of ['10.0.0.256', '10.0.0.5/33', '010.0.0.1', 'fd00::1', '10.0.0.5/']) assert.equal(parseIPv4Cidr(bad), undefined, bad);
  });

  it('ipv4Network() clears the host bits, including the top bit and /0', () => {
    const table: [string, number, string][] = [['10.65.3.77', 24, '10.65.3.0'], ['255.255.255.255', 1, '128.0.0.0'], ['192.0.2.9', 0, '0.0.0.0'], ['192.0.2.9', 32, '192.0.2.9']];
    for (const [addr, len, network] of table) assert.equal(formatIPv4(ipv4Network(ipv4ToNumber(addr)!, len)), network, `${addr}/${len}`);
  });

  it('formatIPv4() is the inverse of ipv4ToNumber()', () => {
    for (const text of ['0.0.0.0', '10.65.255.1', '255.255.255.255']) assert.equal(formatIPv4(ipv4ToNumber(text)!), text);
  });
});
