/**
 * Tokenizer conformance against Calico's tokenizer test table (selector_tokens.json), plus the
 * lexical rules that table does not spell out: blanks, word boundaries and keyword spacing.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { tryParseSelector } from './selector.ts';
import { isValidLabelName, tokenize, type Token } from './tokenizer.ts';

const VECTORS = path.resolve(import.meta.dirname, '../../../../../shared/conformance/calico-vectors');

interface TokenVector { input: string; tokens: { kind: string; value?: string }[]; parses: boolean }

/** Tokens without positions, in the vectors' shape. */
function shape(tokens: readonly Token[]): { kind: string; value?: string }[] {
  return tokens.map((t) => ('value' in t ? { kind: t.kind, value: t.value } : { kind: t.kind }));
}

describe('tokenize() on selector_tokens.json', () => {
  const vectors = JSON.parse(readFileSync(path.join(VECTORS, 'selector_tokens.json'), 'utf8')) as TokenVector[];
  for (const v of vectors) {
    it(`tokenize() splits ${JSON.stringify(v.input.length > 60 ? `${v.input.slice(0, 60)}…` : v.input)}`, () => {
      assert.deepEqual(shape(tokenize(v.input)), v.tokens, `tokens of ${JSON.stringify(v.input)}`);
      assert.equal(tryParseSelector(v.input) !== undefined, v.parses, `whether ${JSON.stringify(v.input)} parses`);
    });
  }
});

describe('tokenize()', () => {
  const kinds = (text: string) => shape(tokenize(text)).map((t) => (t.value === undefined ? t.kind : `${t.kind}(${t.value})`));

  it('tokenize() records each token\'s offset, and the input length for EOF', () => {
    assert.deepEqual(tokenize(' a  !=\t"b" ').map((t) => t.pos), [1, 4, 7, 11]);
  });

  it('tokenize() treats operator words as labels except right after a label', () => {
    assert.deepEqual(kinds('in in {"in"}'), ['TokLabel(in)', 'TokIn', 'TokLBrace', 'TokStringLiteral(in)', 'TokRBrace', 'TokEOF']);
    assert.deepEqual(kinds('not not in {}'), ['TokLabel(not)', 'TokNotIn', 'TokLBrace', 'TokRBrace', 'TokEOF']);
    assert.deepEqual(kinds('has == "x"'), ['TokLabel(has)', 'TokEq', 'TokStringLiteral(x)', 'TokEOF']);
  });

  it('tokenize() accepts multi-word operators with any blanks, or none, between the words', () => {
    for (const text of ['a notin{}', 'a not in{}', 'a not \t in {}']) {
      assert.deepEqual(kinds(text).slice(0, 2), ['TokLabel(a)', 'TokNotIn'], text);
    }
    assert.deepEqual(kinds('a startswith"x"').slice(1, 2), ['TokStartsWith']);
    assert.deepEqual(kinds('a ends\twith "x"').slice(1, 2), ['TokEndsWith']);
  });

  it('tokenize() requires a word boundary after an operator word', () => {
    for (const text of ['a containsx "y"', 'a inx {}', 'a notinx {}', 'a starts withx "y"', 'a in_ {}', 'a in- {}', 'a in. {}', 'a in/ {}']) {
      assert.throws(() => tokenize(text), /expected operator after label "a"/, text);
    }
  });

  it('tokenize() checks the boundary after a multi-word operator past its trailing blanks, as Calico does', () => {
    assert.deepEqual(kinds('b in c'), ['TokLabel(b)', 'TokIn', 'TokLabel(c)', 'TokEOF']);
    assert.throws(() => tokenize('b not in c'), /expected operator after label "b"/);
  });

  it('tokenize() recognises has(, all( and global( only without a blank before "("', () => {
    assert.deepEqual(kinds('has(\ta\t)'), ['TokHas(a)', 'TokEOF']);
    assert.deepEqual(kinds('all(  )'), ['TokAll', 'TokEOF']);
    assert.deepEqual(kinds('global (x'), ['TokLabel(global)', 'TokLParen', 'TokLabel(x)', 'TokEOF']);
  });

  it('tokenize() keeps the other quote character and any non-quote character in a string literal', () => {
    assert.deepEqual(kinds(`a == 'say "hi"\n\\'`), ['TokLabel(a)', 'TokEq', 'TokStringLiteral(say "hi"\n\\)', 'TokEOF']);
  });

  it('tokenize() skips only spaces and tabs', () => {
    for (const blank of ['\n', '\r', '\v', '\f', '\u00a0', '\u2003', '\ufeff']) {
      assert.throws(() => tokenize(`has(a)${blank}`), /unexpected character/, JSON.stringify(blank));
    }
  });
});

describe('isValidLabelName()', () => {
  const cases: [string, boolean][] = [
    ['a', true], ['projectcalico.org/namespace', true], ['-./_09AZaz', true], ['x'.repeat(512), true],
    ['', false], ['x'.repeat(513), false], ['a b', false], ['a:b', false], ['é', false], ['a\n', false],
  ];
  for (const [name, valid] of cases) {
    it(`isValidLabelName() says ${valid} for ${JSON.stringify(name.length > 20 ? `${name.slice(0, 20)}… (${name.length})` : name)}`, () => {
      assert.equal(isValidLabelName(name), valid);
    });
  }
});
