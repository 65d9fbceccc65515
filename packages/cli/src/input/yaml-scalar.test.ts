import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoFloat, mapKeyString, plainScalarValue, resolvePlainScalar } from './yaml-scalar.ts';

// go-yaml v2's resolution of plain scalars (what calicoctl's YAML reader produces).
const cases: [string, string | number | boolean | null][] = [
  ['yes', true], ['Yes', true], ['on', true], ['y', true], ['true', true], ['TRUE', true],
  ['no', false], ['off', false], ['n', false], ['False', false],
  ['~', null], ['null', null], ['', null], ['NULL', null],
  ['80', 80], ['-5', -5], ['+5', 5], ['0x1F', 31], ['017', 15], ['0o17', 15], ['0b101', 5], ['1_000', 1000],
  ['1.5', 1.5], ['1e3', 1000], ['.5', 0.5], ['1.', 1], ['08', 8],
  ['.inf', Number.POSITIVE_INFINITY], ['-.Inf', Number.NEGATIVE_INFINITY],
  ['TCP', 'TCP'], ['8000:8080', '8000:8080'], ['1:20', '1:20'], ['10.0.0.0/16', '10.0.0.0/16'],
  ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z'], ['has(a)', 'has(a)'], ['yess', 'yess'], ['0x', '0x'],
  ['NaN', 'NaN'], ['Inf', 'Inf'], ['.', '.'], ['-', '-'],
];

for (const [text, value] of cases) {
  test(`plainScalarValue() reads ${JSON.stringify(text)} as ${String(value)}`, () => {
    assert.equal(plainScalarValue(text), value);
  });
}

test('resolvePlainScalar() marks timestamps (quoted on output) but keeps their text', () => {
  for (const t of ['2024-05-01', '2024-5-1', '2024-05-01T12:00:00Z', '2024-05-01t12:00:00.5+02:00', '2024-05-01 12:00:00']) {
    assert.deepEqual(resolvePlainScalar(t), { tag: 'timestamp', value: t }, t);
  }
  for (const t of ['2024-13-01', '2024-02-30', '24-05-01', '2024-05-01T12:00:00']) {
    assert.equal(resolvePlainScalar(t).tag, 'str', t);
  }
});

test('mapKeyString() converts keys as sigs.k8s.io/yaml does', () => {
  assert.equal(mapKeyString(true), 'true');
  assert.equal(mapKeyString(80), '80');
  assert.equal(mapKeyString(1.1), '1.1');
  assert.equal(mapKeyString('x'), 'x');
  assert.throws(() => mapKeyString(null), /unsupported map key/);
});

test('formatGoFloat() matches strconv.FormatFloat(f, g, -1, 64)', () => {
  const cases: [number, string][] = [[1_000_000, '1e+06'], [100_000, '100000'], [10_000_000, '1e+07'], [0.5, '0.5'], [1234567.5, '1.2345675e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'], [-2.5, '-2.5'], [0, '0']];
  for (const [f, text] of cases) assert.equal(formatGoFloat(f), text, String(f));
});
