import { test } from 'node:test';
import assert from 'node:assert/strict';
import { list, map } from './collections.ts';
import { int, string } from './scalars.ts';
import { always, defaulted, omitzero, pointer, required, struct } from './struct.ts';
import type { Issue } from './types.ts';
import { protocol } from './unions.ts';

const Inner = struct('Inner', { names: list(string()) });
const Sample = struct('Sample', {
  plain: string(),
  count: int(),
  ptr: pointer(int()),
  always: always(string()),
  proto: always(protocol()),
  tags: list(string()),
  labels: map(string()),
  nested: Inner,
  zeroed: omitzero(Inner),
  tier: defaulted(string(), 'default'),
  must: required(string()),
});

function decode(raw: unknown, unknownFields: 'reject' | 'keep' = 'reject') {
  const issues: Issue[] = [];
  return { value: Sample.decode(raw, [], { unknownFields, issues }), issues };
}

test('struct() encode writes members in declaration order with Go omission rules', () => {
  const v = decode({ must: 'm', labels: { b: '2', a: '1' }, ptr: 0, plain: '', count: 0, tags: [] }).value!;
  assert.equal(JSON.stringify(Sample.encode(v)),
    '{"ptr":0,"always":"","proto":0,"labels":{"a":"1","b":"2"},"nested":{},"must":"m"}');
});

test('struct() omitzero keeps a struct whose list is empty but present', () => {
  const v = decode({ zeroed: { names: [] } }).value!;
  assert.deepEqual((Sample.encode(v) as Record<string, unknown>).zeroed, {});
  assert.equal('zeroed' in (Sample.encode(decode({ zeroed: {} }).value!) as Record<string, unknown>), false);
});

test('struct() decode rejects unknown members and wrong JSON types, naming the path', () => {
  const { value, issues } = decode({ plain: 1, extra: true, nested: { names: ['a', 2] } });
  assert.equal(value, undefined);
  assert.deepEqual(issues.map((i) => [i.path, i.reason]), [
    [['plain'], 'expected string, got number'],
    [['extra'], 'field in document is not recognized or is in the wrong location: extra'],
    [['nested', 'names', 1], 'expected string, got number'],
  ]);
});

test('struct() decode in keep mode keeps unknown members and encode writes them after known ones', () => {
  const { value, issues } = decode({ extra: { x: 1 }, plain: 'p' }, 'keep');
  assert.deepEqual(issues, []);
  assert.equal(JSON.stringify(Sample.encode(value!)), '{"plain":"p","always":"","proto":0,"nested":{},"extra":{"x":1}}');
});

test('struct() decode drops null members (Go leaves them zero)', () => {
  assert.deepEqual(decode({ plain: null, ptr: null }).value, {});
});

test('struct() withDefaults fills defaults only where Go would not write the member', () => {
  assert.equal(Sample.withDefaults({}).tier, 'default');
  assert.equal(Sample.withDefaults({ tier: '' }).tier, 'default');
  assert.equal(Sample.withDefaults({ tier: 'x' }).tier, 'x');
  const unchanged = { tier: 'x' };
  assert.equal(Sample.withDefaults(unchanged), unchanged);
});

test('struct() check reports required members and skips checks of empty optional ones', () => {
  const issues: Issue[] = [];
  Sample.check({ must: '' }, ['spec'], issues);
  assert.deepEqual(issues, [{ path: ['spec', 'must'], reason: 'Required value', value: '' }]);
});

test('struct() isZero treats a present empty list as non-zero and a pointer to 0 as non-zero', () => {
  assert.equal(Sample.isZero({}), true);
  assert.equal(Sample.isZero({ tags: [] }), false);
  assert.equal(Sample.isZero({ ptr: 0 }), false);
  assert.equal(Sample.isZero({ count: 0, plain: '' }), true);
});
