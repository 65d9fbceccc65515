/**
 * felix.cfg reading, table-driven against what go-ini (Felix's parser) yields.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FelixCfgSyntaxError, parseFelixCfg } from './felix-cfg.ts';

const cases: { name: string; text: string; want: [string, string][] }[] = [
  { name: 'key = value under [global]', text: '[global]\nInterfacePrefix = tap\n', want: [['InterfacePrefix', 'tap']] },
  { name: 'colon as the delimiter', text: 'MetadataPort: 8775\n', want: [['MetadataPort', '8775']] },
  { name: 'comment lines with # and ;', text: '# a\n; b\n  # indented\nA=1\n', want: [['A', '1']] },
  { name: 'an inline comment cut at the first # or ;', text: 'A = tap # prefix\nB = x;y\n', want: [['A', 'tap'], ['B', 'x']] },
  { name: 'surrounding quotes dropped', text: `A = "quoted"\nB = 'single'\nC = "a"b"\n`, want: [['A', 'quoted'], ['B', 'single'], ['C', '"a"b"']] },
  { name: 'a backtick value keeps # and ;', text: 'A = `x#y;z`\n', want: [['A', 'x#y;z']] },
  { name: 'a continuation line', text: 'EtcdEndpoints = http://a:2379,\\\n  http://b:2379\nB=2\n', want: [['EtcdEndpoints', 'http://a:2379,http://b:2379'], ['B', '2']] },
  { name: 'an empty value', text: 'A =\n', want: [['A', '']] },
  { name: 'CRLF line ends and a BOM', text: '\uFEFF[global]\r\nA = 1\r\n', want: [['A', '1']] },
  { name: 'keys from every section, in order', text: '[global]\nA=1\n[x]\nA=2\n', want: [['A', '1'], ['A', '2']] },
  { name: 'a value with = in it', text: 'A = k=v\n', want: [['A', 'k=v']] },
];

for (const c of cases) {
  test(`parseFelixCfg() reads ${c.name}`, () => {
    assert.deepEqual(parseFelixCfg(c.text).map((e) => [e.key, e.value]), c.want);
  });
}

test('parseFelixCfg() records section and line of each entry', () => {
  assert.deepEqual(parseFelixCfg('[global]\n\nA = 1\n'), [{ key: 'A', value: '1', section: 'global', line: 3 }]);
});

for (const [name, text, reason] of [
  ['an unclosed section', '[global\n', /line 1: unclosed section/],
  ['a line without a delimiter', '[global]\nInterfacePrefix tap\n', /line 2: key-value delimiter not found/],
  ['an unterminated backtick value', 'A = `abc\nB = 1\n', /line 1: missing closing quote/],
] as const) {
  test(`parseFelixCfg() rejects ${name}`, () => {
    assert.throws(() => parseFelixCfg(text), (err: unknown) => err instanceof FelixCfgSyntaxError && reason.test(err.message));
  });
}
