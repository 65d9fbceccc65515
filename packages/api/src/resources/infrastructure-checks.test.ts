import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cidrFormat, crdPattern, goRegexp, ignoredInterface, interfaceFilter, ipv4CIDR, ipv4Network, ipv6Network,
  keyValueList, peerAddress, prometheusHost, wireguardPublicKey,
} from './infrastructure-checks.ts';

describe('peerAddress()', () => {
  const cases: [string, string | undefined][] = [
    ['1.2.3.4', '1.2.3.4'],
    ['192.168.1.1:500', '192.168.1.1'],
    ['[9000::]:500', '9000::'],
    ['aabb:aabb::ffff', 'aabb:aabb::ffff'],
    ['192.168.0.1:0080', '192.168.0.1'],
    ['192.168.0.0:65536', undefined],
    ['192.168.0.0:0', undefined],
    ['192.168.0.0:', undefined],
    ['[9000::]:', undefined],
    ['[9000::]:98956', undefined],
    ['[192.168.0.0]:98956', undefined],
    ['[192.168.0.0]:179', '192.168.0.0'],
    ['192.168.0.330:170', undefined],
    ['[9000::FFFFF]:170', undefined],
    [':8552', undefined],
    ['[]:8552', undefined],
    ['1:2:3:4:5', undefined],
    ['999.999.999.999', undefined],
  ];
  for (const [input, want] of cases) {
    test(`peerAddress() reads ${JSON.stringify(input)} as ${JSON.stringify(want)}`, () => assert.equal(peerAddress(input), want));
  }
});

test('crdPattern() honours a leading (?i) and reports the pattern', () => {
  const level = crdPattern('^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$');
  for (const ok of ['Info', 'info', 'INFO', '']) assert.equal(level(ok), undefined, ok);
  assert.equal(level('Critical'), "should match '^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$'");
  const strict = crdPattern('^(Auto|NFT)$');
  assert.equal(strict('auto'), "should match '^(Auto|NFT)$'");
});

test('crdPattern() keeps the doubled backslash of Felix duration patterns literal, as Kubernetes does', () => {
  const duration = crdPattern('^([0-9]+(\\\\.[0-9]+)?(ms|s|m|h))*$');
  for (const ok of ['1m30s', '0s', '500ms', '1h0m0s']) assert.equal(duration(ok), undefined, ok);
  for (const bad of ['1.5s', '1µs', '-1s']) assert.notEqual(duration(bad), undefined, bad);
});

test('goRegexp() accepts RE2 syntax and rejects what RE2 or any regexp engine refuses', () => {
  for (const ok of ['eth.*', '^(?i)cali.*$', '(?P<name>x)', '[[:alpha:]]+', 'a{2,5}', '', '\\Qa.b\\E']) assert.equal(goRegexp(ok), undefined, ok);
  for (const bad of ['*', '(', 'a(?=b)', '(a)\\1', 'a{1001}', '[z-a]']) assert.notEqual(goRegexp(bad), undefined, bad);
});

test('interface checks follow the Go validate tags', () => {
  assert.equal(ignoredInterface('valid_iface*'), undefined);
  assert.notEqual(ignoredInterface('*'), undefined);
  assert.equal(interfaceFilter('docker+'), undefined);
  assert.notEqual(interfaceFilter('cali@456'), undefined);
  assert.notEqual(interfaceFilter('sixteen-chars-xx'), undefined);
});

test('network checks distinguish families, masks and bare addresses', () => {
  assert.equal(ipv4Network('10.0.10.0/24'), undefined);
  assert.equal(ipv4Network('10.0.10.1'), undefined);
  assert.notEqual(ipv4Network('10.0.10.1/24'), undefined);
  assert.notEqual(ipv4Network('ffee::/64'), undefined);
  assert.equal(ipv6Network('ee2::dddd/128'), undefined);
  assert.notEqual(ipv6Network('10.0.10.0/32'), undefined);
  assert.equal(ipv4CIDR('10.0.0.5/24'), undefined);
  assert.notEqual(ipv4CIDR('aabb::1/64'), undefined);
  assert.equal(cidrFormat('10.0.0.0/8'), undefined);
  assert.equal(cidrFormat('10.0.0.1'), 'must be of type cidr: "10.0.0.1"');
});

test('keyValueList() accepts comma-separated key=value items and empty items', () => {
  for (const ok of ['', ' ', 'a=b', 'SNATFullyRandom=true,MASQFullyRandom=false,', 'x=']) assert.equal(keyValueList(ok), undefined, ok);
  assert.equal(keyValueList('a=b,c'), 'invalid key=value item "c"');
  assert.notEqual(keyValueList('-a=b'), undefined);
});

test('prometheusHost() and wireguardPublicKey() check their formats', () => {
  for (const ok of ['localhost', '10.0.0.1', 'fe80::ea7a:70fa:cf74:25d5']) assert.equal(prometheusHost(ok), undefined, ok);
  for (const bad of ['localhost#', '0: 1::1', '']) assert.notEqual(prometheusHost(bad), undefined, bad);
  assert.equal(wireguardPublicKey('jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY='), undefined);
  assert.notEqual(wireguardPublicKey('foobar'), undefined);
  assert.notEqual(wireguardPublicKey('jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXg=='), undefined);
});
