import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pythonJsonDumps } from './python-json.ts';

test('pythonJsonDumps() writes what Python json.dumps writes (separators, ASCII escapes, literals)', () => {
  // Expected strings produced by CPython 3's json.dumps with default arguments.
  const cases: Array<[unknown, string]> = [
    [{ a: 1, b: [true, false, null], c: {}, d: [] }, '{"a": 1, "b": [true, false, null], "c": {}, "d": []}'],
    ['Ünï\u007f\u0001"\\/😀', '"\\u00dcn\\u00ef\\u007f\\u0001\\"\\\\/\\ud83d\\ude00"'],
    ['tab\there\nnew\rret\bback\fform', '"tab\\there\\nnew\\rret\\bback\\fform"'],
    [[1.5, 1e-7, 0.1, 1e-5, 123.456, 1e22, NaN, Infinity, -Infinity], '[1.5, 1e-07, 0.1, 1e-05, 123.456, 1e+22, NaN, Infinity, -Infinity]'],
    [[0, -3, 4294967296, 10 ** 15 + 10 ** 13], '[0, -3, 4294967296, 1010000000000000]'],
    [{ z: 1, a: 2, m: { y: 'x' } }, '{"z": 1, "a": 2, "m": {"y": "x"}}'],
    [new Map([['2', 'b'], ['1', 'a']]), '{"2": "b", "1": "a"}'],
    [{ kept: 1, skipped: undefined }, '{"kept": 1}'],
  ];
  for (const [value, expected] of cases) assert.equal(pythonJsonDumps(value), expected);
});

test('pythonJsonDumps() reproduces the subnet record of spec §3.2 K6 byte for byte', () => {
  const value = { network_id: 'net-id-1', cidr: '10.65.0.0/24', host_routes: [{ destination: '11.11.0.0/16', nexthop: '10.65.0.1' }], gateway_ip: '10.65.0.1' };
  assert.equal(pythonJsonDumps(value), '{"network_id": "net-id-1", "cidr": "10.65.0.0/24", "host_routes": [{"destination": "11.11.0.0/16", "nexthop": "10.65.0.1"}], "gateway_ip": "10.65.0.1"}');
});

test('pythonJsonDumps() rejects values JSON cannot hold', () => {
  assert.throws(() => pythonJsonDumps(() => 1), TypeError);
  assert.throws(() => pythonJsonDumps(Symbol('s')), TypeError);
});
