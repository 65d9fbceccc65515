import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNSUPPORTED, parseFastYaml } from './fast-yaml.ts';
import { YamlSyntaxError, parseDocument } from './parse-document.ts';
import { SEED_GNP } from '../testing/seed-documents.ts';

// A tab in a comment keeps the fast reader out, so the full parser reads the same text.
const viaFullParser = (text: string) => parseDocument(`${text}\n#\t`);

const corpus: [string, string][] = [
  ['seed GlobalNetworkPolicy', SEED_GNP],
  ['indented sequences, comments, flow lists', `kind: IPPool # trailing comment
# full-line comment
metadata:
    name: default-pool
spec:
    cidr: 172.16.0.0/16
    ipipMode: Always # or CrossSubnet
    natOutgoing: true
    ports: [22, "80", '8000:8080', TCP]
    empty: []
    obj: {}
    list:
        - a
        -   b: 1
            c: 2
        - - x
          - y
`],
  ['YAML 1.1 scalars', `a: yes
b: on
c: y
d: ~
e: 0x1F
f: 1e3
g: "yes"
h: 'it''s'
i: "tab\\tand \\u00e9"
j: 2024-05-01T12:00:00Z
k:
l: 012
80: port
yes: key
`],
  ['nested mappings in sequences', `items:
- metadata:
    name: a
  spec:
    nets:
    - 10.0.0.0/8
- metadata:
    name: b
`],
  ['document start marker', `---
a: 1
`],
  ['plain scalars with indicators inside', `selector: app == 'web' && !has(x)
url: http://example.com:80/path
hash: a#b
dash: -x
colon: a:b
`],
  ['top-level sequence', `- a: 1
- b: 2
`],
  ['empty document', `# only a comment
`],
];

for (const [name, text] of corpus) {
  test(`parseFastYaml() agrees with the full parser: ${name}`, async () => {
    const fast = parseFastYaml(text);
    assert.notEqual(fast, UNSUPPORTED, 'expected the fast reader to handle this');
    assert.deepEqual(fast, await viaFullParser(text));
  });
}

const unsupported: [string, string][] = [
  ['multi-line plain scalar', 'selector: a ==\n  b\n'],
  ['block scalar', 'text: |\n  line\n'],
  ['anchors', 'a: &x 1\nb: *x\n'],
  ['merge key', 'a: {k: 1}\nb:\n  <<: {k: 2}\n'],
  ['flow mapping', 'a: {b: 1}\n'],
  ['duplicate key', 'a: 1\na: 2\n'],
  ['colon-space in a value', 'a: b: c\n'],
  ['tabs', 'a:\t1\n'],
  ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
];

for (const [name, text] of unsupported) {
  test(`parseFastYaml() leaves ${name} to the full parser`, () => {
    assert.equal(parseFastYaml(text), UNSUPPORTED);
  });
}

test('parseDocument() reads what the fast reader declines', async () => {
  assert.deepEqual(await parseDocument('selector: a ==\n  b\n'), { selector: 'a == b' });
  assert.deepEqual(await parseDocument('a: &x {k: 1}\nb: *x\nc:\n  <<: *x\n  z: 2\n'), { a: { k: 1 }, b: { k: 1 }, c: { k: 1, z: 2 } });
  assert.deepEqual(await parseDocument('t: |\n  one\n  two\n'), { t: 'one\ntwo\n' });
  assert.deepEqual(await parseDocument('s: !!str 12\nm: !!int "12"\n'), { s: '12', m: 12 });
});

test('parseDocument() reads JSON, including several objects in an array', async () => {
  assert.deepEqual(await parseDocument('{"kind": "IPPool", "spec": {"natOutgoing": true}}'), { kind: 'IPPool', spec: { natOutgoing: true } });
  assert.deepEqual(await parseDocument('[{"a": 1}, {"b": "yes"}]'), [{ a: 1 }, { b: 'yes' }]);
});

test('parseDocument() refuses duplicate keys in YAML and JSON', async () => {
  await assert.rejects(parseDocument('a: 1\nb: 2\na: 3\n'), (err: unknown) => err instanceof YamlSyntaxError && err.line === 3 && /unique/.test(err.reason));
  await assert.rejects(parseDocument('{\n "a": 1,\n "a": 2\n}'), (err: unknown) => err instanceof YamlSyntaxError && err.line === 3 && /"a" already set/.test(err.reason));
});

test('parseDocument() reports syntax errors with their line', async () => {
  await assert.rejects(parseDocument('a: 1\nb: [1, 2\n'), (err: unknown) => err instanceof YamlSyntaxError && err.line !== undefined);
  await assert.rejects(parseDocument('kind: x\n  bad: indent\n'), YamlSyntaxError);
});

test('parseDocument() treats __proto__ as an ordinary key', async () => {
  const value = (await parseDocument('__proto__:\n  polluted: yes\n')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
