// Calico's numorstring JSON vectors (conformance/calico-vectors/numorstring.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPort, parsePort } from './port.ts';
import { parseProtocol } from './protocol.ts';
import { parseDSCP } from './dscp.ts';
import { parseASNumber } from './as-number.ts';

interface UnmarshalVector { test: 'unmarshal'; type: string; json: string; ok: boolean; expected: unknown; note: string }
interface MarshalVector { test: 'marshal'; goValue: string; json: string }

const file = join(import.meta.dirname, '../../../../../shared/conformance/calico-vectors/numorstring.json');
const vectors = JSON.parse(readFileSync(file, 'utf8')) as (UnmarshalVector | MarshalVector)[];

const toExpected = (v: number | string) => (typeof v === 'number' ? { num: v } : { str: v });
const parsers: Record<string, (raw: unknown) => unknown> = {
  ASNumber: parseASNumber,
  Port: parsePort,
  Protocol: (raw) => toExpected(parseProtocol(raw)),
  DSCP: (raw) => toExpected(parseDSCP(raw)),
};

test('numorstring parsers decode every Calico unmarshal vector', () => {
  const unmarshal = vectors.filter((v): v is UnmarshalVector => v.test === 'unmarshal');
  assert.ok(unmarshal.length > 30);
  for (const v of unmarshal) {
    const parse = parsers[v.type]!;
    let result: unknown;
    let ok = true;
    try {
      result = parse(JSON.parse(v.json));
    } catch {
      ok = false;
    }
    assert.equal(ok, v.ok, `${v.note} (${v.json})`);
    if (ok) assert.deepEqual(result, v.expected, v.note);
  }
});

// Go expressions in the marshal vectors, mapped to the value they build.
const GO_VALUES: Record<string, () => unknown> = {
  'numorstring.ASNumber(0)': () => parseASNumber(0),
  'numorstring.ASNumber(4294967295)': () => parseASNumber(4294967295),
  'numorstring.SinglePort(0)': () => formatPort({ minPort: 0, maxPort: 0 }),
  'portFromRange(65535, 65535)': () => formatPort({ minPort: 65535, maxPort: 65535 }),
  'portFromString("10")': () => formatPort(parsePort('10')),
  'portFromRange(10, 20)': () => formatPort({ minPort: 10, maxPort: 20 }),
  'portFromRange(20, 30)': () => formatPort({ minPort: 20, maxPort: 30 }),
  'numorstring.Port{PortName: "foobar"}': () => formatPort({ portName: 'foobar' }),
  'numorstring.ProtocolFromInt(0)': () => parseProtocol(0),
  'numorstring.ProtocolFromString("UDP")': () => parseProtocol('UDP'),
  'numorstring.DSCPFromInt(0)': () => parseDSCP(0),
  'numorstring.DSCPFromInt(120)': () => parseDSCP(120),
  'numorstring.DSCPFromString("DF")': () => parseDSCP('DF'),
};

test('numorstring formatters write every Calico marshal vector', () => {
  const marshal = vectors.filter((v): v is MarshalVector => v.test === 'marshal');
  assert.equal(marshal.length, Object.keys(GO_VALUES).length);
  for (const v of marshal) {
    const build = GO_VALUES[v.goValue];
    assert.ok(build, `no mapping for ${v.goValue}`);
    assert.equal(JSON.stringify(build()), v.json, v.goValue);
  }
});
