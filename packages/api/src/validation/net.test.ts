import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrOrIP, ipAddress, ipv4Address, ipv6Address, isMACAddress, maskedNetwork, networkContains, parseCIDR, parseCIDROrIP, parseIP } from './net.ts';

test('parseIP() accepts what Go net.ParseIP accepts', () => {
  const cases: [string, 4 | 6 | undefined][] = [
    ['1.2.3.4', 4], ['255.255.255.255', 4], ['::', 6], ['aabb:aabb::ffff', 6], ['::ffff:1.2.3.4', 4], ['::1.2.3.4', 6],
    ['256.1.1.1', undefined], ['01.2.3.4', undefined], ['1.2.3', undefined], ['fe80::1%eth0', undefined], ['1.2.3.4/32', undefined],
    ['', undefined], [' 1.2.3.4', undefined], ['::ffff:1.2.3.04', undefined], ['1:2:3:4:5:6:7:8:9', undefined],
  ];
  for (const [text, version] of cases) assert.equal(parseIP(text)?.version, version, text);
});

test('parseCIDR() requires a prefix within the family length', () => {
  assert.deepEqual(parseCIDR('10.0.0.0/8'), { address: { version: 4, bytes: [10, 0, 0, 0] }, prefix: 8 });
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/', 'garbage/8']) assert.equal(parseCIDR(bad), undefined, bad);
  assert.equal(parseCIDROrIP('10.0.0.1')?.prefix, 32);
  assert.equal(parseCIDROrIP('dead:beef::')?.prefix, 128);
});

test('field checks for the ip, ipv4, ipv6, cidr and net tags', () => {
  const table: [typeof ipAddress, string, boolean][] = [
    [ipAddress, '1.2.3.4', true], [ipAddress, '1.2.3.0/24', false],
    [ipv4Address, '1.2.3.4', true], [ipv4Address, '::1', false],
    [ipv6Address, '::1', true], [ipv6Address, '1.2.3.4', false],
    [cidrOrIP, '10.0.0.5/24', true], [cidrOrIP, '10.0.0.5', true], [cidrOrIP, '10.abcd', false],
    [maskedNetwork, '10.0.0.0/24', true], [maskedNetwork, '10.0.0.5/24', false], [maskedNetwork, '10.0.0.5', true],
    [maskedNetwork, 'aabb:aabb::0000/122', true], [maskedNetwork, '999.999.999.999', false],
  ];
  for (const [check, text, ok] of table) assert.equal(check(text) === undefined, ok, `${text}`);
});

test('networkContains() matches addresses inside the prefix only, same family', () => {
  const net = parseCIDR('10.65.0.0/16')!;
  assert.equal(networkContains(net, parseIP('10.65.3.4')!), true);
  assert.equal(networkContains(net, parseIP('10.66.0.1')!), false);
  assert.equal(networkContains(net, parseIP('::ffff:10.65.0.1')!), true);
  assert.equal(networkContains(parseCIDR('::/0')!, parseIP('10.65.0.1')!), false);
});

test('isMACAddress() accepts Go net.ParseMAC forms', () => {
  for (const ok of ['fa:16:3e:12:34:56', 'FA-16-3E-12-34-56', 'fa16.3e12.3456', '02:00:5e:10:00:00:00:01']) assert.ok(isMACAddress(ok), ok);
  for (const bad of ['fa:16:3e:12:34', 'fa:16-3e:12:34:56', 'fa:16:3e:12:34:5', 'fa16.3e12', 'zz:16:3e:12:34:56']) assert.ok(!isMACAddress(bad), bad);
});
