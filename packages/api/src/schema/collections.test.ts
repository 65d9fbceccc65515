/**
 * Tests for the collection schema helpers: `compareBytewise`, the key order Go's encoder writes
 * maps in.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compareBytewise } from './collections.ts';

/** The reference: compare the strings' UTF-8 bytes. */
function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

test('compareBytewise() orders strings as their UTF-8 bytes do', () => {
  const cases: [string, string][] = [
    ['a', 'b'],
    ['ab', 'a'],
    ['', 'a'],
    ['same', 'same'],
    ['Z', 'a'],
    ['projectcalico.org/namespace', 'projectcalico.org/orchestrator'],
    ['\uffff', '\u{10000}'], // code units order these the other way round
    ['\ue000', '\u{1f600}'],
    ['x\u{1f600}', 'x\ufb01'],
    ['\u{1f600}', '\u{1f601}'],
    ['\u{1f600}a', '\u{1f600}b'],
    ['\u{10000}', '\u{10000}\u{10000}'],
  ];
  for (const [a, b] of cases) {
    assert.equal(Math.sign(compareBytewise(a, b)), utf8Order(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(Math.sign(compareBytewise(b, a)), utf8Order(b, a), `${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  }
});

test('compareBytewise() agrees with code-point order over random strings with surrogates', () => {
  // Lone surrogates have no UTF-8 form, so the reference here is the code-point sequence.
  const pool = ['a', 'z', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\ud800', '\udc00', '\udbff'];
  const byCodePoint = (a: string, b: string) => {
    const x = [...a].map((c) => c.codePointAt(0)!);
    const y = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return Math.sign(x[i]! - y[i]!);
    return Math.sign(x.length - y.length);
  };
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const word = () => Array.from({ length: Math.floor(next() * 5) }, () => pool[Math.floor(next() * pool.length)]!).join('');
  for (let n = 0; n < 20_000; n++) {
    const prefix = word();
    const a = prefix + word();
    const b = prefix + word();
    assert.equal(Math.sign(compareBytewise(a, b)), byCodePoint(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});
