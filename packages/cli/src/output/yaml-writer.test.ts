import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDocument } from '../input/parse-document.ts';
import { compareYamlKeys, toYaml } from './yaml-writer.ts';

test('toYaml() writes a resource as calicoctl does: sorted keys, unindented sequences, quoted look-alikes', () => {
  const res = {
    kind: 'GlobalNetworkPolicy',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name: 'allow-tcp-80', resourceVersion: '12', creationTimestamp: '2024-05-01T12:00:00Z', labels: {} },
    spec: { types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80, '8000:8080'] } }], order: 100.5, selector: 'all()' },
  };
  assert.equal(toYaml(res), `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  creationTimestamp: "2024-05-01T12:00:00Z"
  labels: {}
  name: allow-tcp-80
  resourceVersion: "12"
spec:
  ingress:
  - action: Allow
    destination:
      ports:
      - 80
      - 8000:8080
    protocol: TCP
  order: 100.5
  selector: all()
  types:
  - Ingress
`);
});

const scalarCases: [unknown, string][] = [
  ['true', '"true"'], ['yes', '"yes"'], ['80', '"80"'], ['', '""'], ['1:20', '"1:20"'], ['~', '"~"'],
  ['!has(x)', "'!has(x)'"], ['a: b', "'a: b'"], [' lead', "' lead'"], ['trail ', "'trail '"], ['- x', "'- x'"],
  ['#x', "'#x'"], ['a #b', "'a #b'"], ["it's", "it's"], ["app == 'web'", "app == 'web'"], ['é', 'é'],
  ['tab\there', '"tab\\there"'], ['😀', '"\\U0001F600"'], [null, 'null'], [true, 'true'], [1e6, '1000000'], [0.25, '0.25'],
  [1234567.5, '1.2345675e+06'], [[], '[]'], [{}, '{}'],
];

for (const [value, text] of scalarCases) {
  test(`toYaml() writes ${JSON.stringify(value)} as ${text}`, () => {
    assert.equal(toYaml({ v: value }), `v: ${text}\n`);
  });
}

test('toYaml() writes multi-line strings as literal blocks with chomping indicators', () => {
  assert.equal(toYaml({ v: 'a\nb' }), 'v: |-\n  a\n  b\n');
  assert.equal(toYaml({ v: 'a\nb\n' }), 'v: |\n  a\n  b\n');
  assert.equal(toYaml({ v: 'a\n\n' }), 'v: |+\n  a\n\n');
  assert.equal(toYaml({ v: ' a\nb' }), 'v: |2-\n   a\n  b\n');
  assert.equal(toYaml({ v: 'a \nb' }), 'v: "a \\nb"\n');
});

test('toYaml() folds long plain scalars at the first space past column 80, as libyaml does', () => {
  const a = 'has(sg.projectcalico.org/openstack-a7734e61-b545-452d-a3cd-0189cbd9747a)';
  const b = 'has(sg.projectcalico.org/openstack-85cc3048-abc3-43cc-89b3-377341426ac5)';
  assert.equal(toYaml({ selector: `${a} && ${b}` }), `selector: ${a}\n  && ${b}\n`);
  assert.equal(toYaml({ spec: { selector: `${a} && ${b}` } }), `spec:\n  selector: ${a}\n    && ${b}\n`);
});

test('toYaml() nests sequences and mappings the go-yaml v2 way', () => {
  assert.equal(toYaml([['a', 'b'], { k: [1] }]), '- - a\n  - b\n- k:\n  - 1\n');
  assert.equal(toYaml(null), 'null\n');
  assert.equal(toYaml([]), '[]\n');
});

test('compareYamlKeys() orders keys like go-yaml v2 (digit runs numerically, non-letters first)', () => {
  const keys = ['a10', 'a9', 'aZ', 'a_b', 'a-b', 'ab', 'A', 'b', 'a01', 'a{'];
  assert.deepEqual([...keys].sort(compareYamlKeys), ['A', 'a-b', 'a_b', 'a{', 'a01', 'a9', 'a10', 'aZ', 'ab', 'b']);
});

test('toYaml() round-trips any JSON value through calicoctl YAML reading', async () => {
  const noLoneSurrogates = (s: string) => !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
  const str = fc.string({ unit: fc.oneof(fc.constantFrom('a', ' ', ':', '#', '-', '\n', "'", '"', '\\', '\t', 'é', '😀', '0', '.', 'y', '!', '&'), fc.nat(0x10ffff).map((cp) => String.fromCodePoint(cp))), maxLength: 12 }).filter(noLoneSurrogates);
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, str, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)), fc.boolean(), fc.constant(null), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(str, tie('node'), { maxKeys: 3 })),
  })).node;
  await fc.assert(
    fc.asyncProperty(fc.dictionary(str, value, { maxKeys: 4 }), async (v) => {
      assert.deepEqual(await parseDocument(toYaml(v)), JSON.parse(JSON.stringify(v)));
    }),
    { numRuns: 400 },
  );
});

test('toYaml() writes a key that recurs across items in the same style every time', () => {
  const long = 'k'.repeat(129);
  const items = [{ on: 1, a: 'x', 'k: v': true, [long]: 1 }, { on: 2, a: 'y', 'k: v': false, [long]: 2 }];
  assert.equal(toYaml(items), `- a: x\n  'k: v': true\n  ? ${long}\n  : 1\n  "on": 1\n- a: "y"\n  'k: v': false\n  ? ${long}\n  : 2\n  "on": 2\n`);
});

test('toYaml() writes map keys in go-yaml order whether or not they arrive in it', () => {
  const expected = 'a-b: 1\na9: 2\na10: 3\n';
  assert.equal(toYaml({ 'a-b': 1, a9: 2, a10: 3 }), expected);
  assert.equal(toYaml({ a10: 3, 'a-b': 1, a9: 2 }), expected);
  assert.equal(toYaml({ 'a-b': 1, a10: 3, a9: 2 }), expected); // byte order, not go-yaml's
});
