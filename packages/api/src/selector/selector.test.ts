/**
 * Conformance of the public selector API against Calico's own test tables (the shared
 * calico-vectors: evaluation, rejection, canonical form, unique IDs, label prefixing), plus the
 * behaviour Percale adds on top: error positions, own-property semantics and normalisation.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import {
  isSelectorSyntaxError, normaliseSelector, parseSelector, SelectorSyntaxError, tokenize, tryParseSelector,
  type Labels,
} from './index.ts';

const VECTORS = path.resolve(import.meta.dirname, '../../../../../shared/conformance/calico-vectors');

function loadVectors<T>(file: string): T[] {
  return JSON.parse(readFileSync(path.join(VECTORS, file), 'utf8')) as T[];
}

// Go serialised some empty label maps as [] (a nil map); they mean "no labels".
function labelMap(labels: Record<string, string> | unknown[]): Labels {
  return Array.isArray(labels) ? {} : labels;
}

/** Runs `parseSelector(text)` and returns the SelectorSyntaxError it must throw. */
function syntaxErrorOf(text: string): SelectorSyntaxError {
  try {
    parseSelector(text);
  } catch (err) {
    if (err instanceof SelectorSyntaxError) return err;
    throw err;
  }
  return assert.fail(`parseSelector(${JSON.stringify(text)}) should throw`);
}

interface EvalVector { selector: string; labels: Record<string, string> | unknown[]; matches: boolean }
interface InvalidVector { selector: string; stage: 'parse' | 'tokenize' }
interface CanonicalVector {
  input: string; canonical: string; uniqueId: string; labelPrefix?: string; canonicalWithLabelPrefix?: string;
}

describe('parseSelector() on selector_eval.json', () => {
  for (const v of loadVectors<EvalVector>('selector_eval.json')) {
    const labels = labelMap(v.labels);
    it(`${JSON.stringify(v.selector)} ${v.matches ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
      const sel = parseSelector(v.selector);
      assert.equal(sel.matches(labels), v.matches, `selector ${JSON.stringify(v.selector)} on ${JSON.stringify(labels)}`);
      // Calico's test re-parses the canonical form and expects the same result and text.
      const canonical = sel.toString();
      const reparsed = parseSelector(canonical);
      assert.equal(reparsed.toString(), canonical, `canonical form of ${JSON.stringify(v.selector)} is not stable`);
      assert.equal(reparsed.matches(labels), v.matches, `re-parsed ${JSON.stringify(canonical)} on ${JSON.stringify(labels)}`);
    });
  }
});

describe('parseSelector() on selector_invalid.json', () => {
  for (const v of loadVectors<InvalidVector>('selector_invalid.json')) {
    it(`rejects ${JSON.stringify(v.selector)} (${v.stage})`, () => {
      assert.throws(() => parseSelector(v.selector), SelectorSyntaxError, `parseSelector(${JSON.stringify(v.selector)}) should throw`);
      assert.equal(tryParseSelector(v.selector), undefined, `tryParseSelector(${JSON.stringify(v.selector)})`);
      if (v.stage === 'tokenize') {
        assert.throws(() => tokenize(v.selector), SelectorSyntaxError, `tokenize(${JSON.stringify(v.selector)}) should throw`);
      }
    });
  }
});

describe('Selector.toString() and uniqueId() on selector_canonical.json', () => {
  for (const v of loadVectors<CanonicalVector>('selector_canonical.json')) {
    it(`renders ${JSON.stringify(v.input)} as ${JSON.stringify(v.canonical)}`, () => {
      const sel = parseSelector(v.input);
      assert.equal(sel.toString(), v.canonical, `canonical form of ${JSON.stringify(v.input)}`);
      assert.equal(sel.uniqueId(), v.uniqueId, `unique ID of ${JSON.stringify(v.input)}`);
      const reparsed = parseSelector(v.canonical);
      assert.equal(reparsed.toString(), v.canonical, `re-parsing ${JSON.stringify(v.canonical)}`);
      assert.equal(reparsed.uniqueId(), v.uniqueId, `unique ID of re-parsed ${JSON.stringify(v.canonical)}`);
      assert.equal(normaliseSelector(v.input), v.canonical, `normaliseSelector(${JSON.stringify(v.input)})`);
      if (v.labelPrefix !== undefined) {
        const prefixed = sel.prefixLabels(v.labelPrefix);
        assert.equal(prefixed.toString(), v.canonicalWithLabelPrefix, `${JSON.stringify(v.input)} prefixed with ${JSON.stringify(v.labelPrefix)}`);
        assert.equal(sel.toString(), v.canonical, 'prefixLabels() must not change the original selector');
      }
    });
  }
});

describe('parseSelector() errors', () => {
  it('parseSelector() names the problem and position in the message', () => {
    const err = syntaxErrorOf('a == ');
    assert.equal(err.message, 'Cannot parse selector "a == ": expected string at position 5');
  });

  it('parseSelector() throws a SyntaxError carrying selector, position, reason and code', () => {
    const err = syntaxErrorOf('a == "b" && c = "d"');
    assert.ok(err instanceof SyntaxError);
    assert.ok(isSelectorSyntaxError(err));
    assert.equal(err.name, 'SelectorSyntaxError');
    assert.equal(err.code, 'API_SELECTOR_SYNTAX');
    assert.equal(err.selector, 'a == "b" && c = "d"');
    assert.equal(err.position, 14);
    assert.equal(err.reason, 'expected "==", found a single "="');
  });

  // [selector, 0-based position, text the reason must contain]
  const positions: [string, number, string][] = [
    ['a == ', 5, 'expected string'],
    ['a == b', 5, 'expected string, found label "b"'],
    ['a', 1, 'expected operator after label "a"'],
    ['a b', 2, 'expected operator after label "a"'],
    ['a (', 2, 'expected operator after label "a", found "("'],
    ['a IN {"b"}', 2, 'expected operator after label "a"'],
    ['has(a) &&', 9, 'unexpected end of selector'],
    ['has(a) && || has(b)', 10, 'unexpected "||"'],
    ['(a == "b"', 9, 'expected ")"'],
    ['(a == "b" has(c)', 10, 'expected ")", found "has(c)"'],
    ['a == "b")', 8, 'unexpected ")" after the end of the expression'],
    ['has(a)has(b)', 6, 'unexpected "has(b)"'],
    ['a == "b', 5, 'unterminated string'],
    ["a in {'x', 'y", 11, 'unterminated string'],
    ['a = "b"', 2, 'expected "==", found a single "="'],
    ['a & b', 2, 'expected "&&"'],
    ['a | b', 2, 'expected "||"'],
    ['a in "x"', 5, 'expected set literal "{", found string "x"'],
    ['a in {"x" "y"}', 10, 'expected "," or "}", found string "y"'],
    ['a in {,}', 6, 'expected string or "}", found ","'],
    ['a in {"x",,}', 10, 'expected string or "}", found ","'],
    ['a in {"x"', 9, 'expected "," or "}"'],
    ['has( )', 5, 'expected label name after "has("'],
    ['has(a b)', 6, 'expected ")" to close "has("'],
    ['all(x)', 4, 'expected ")" to close "all("'],
    ['global( x)', 8, 'expected ")" to close "global("'],
    ['a == "b"\n', 8, 'unexpected character "\\n"'],
    ['a == "b" \r\n', 9, 'unexpected character "\\r"'],
    ['a:b == "c"', 1, 'expected operator after label "a"'],
    ['%', 0, 'unexpected character "%"'],
    ['a == "😀" && 😀', 13, 'unexpected character "😀"'],
    [`${'x'.repeat(513)} == "v"`, 0, 'label too long (513 characters'],
    [`has(${'x'.repeat(513)})`, 4, 'label too long (513 characters'],
    ['!', 1, 'unexpected end of selector'],
    ['()', 1, 'unexpected ")"'],
  ];
  for (const [selector, position, reason] of positions) {
    it(`parseSelector() reports ${JSON.stringify(selector.length > 40 ? `${selector.slice(0, 40)}…` : selector)} at position ${position}`, () => {
      const err = syntaxErrorOf(selector);
      assert.equal(err.position, position, err.message);
      assert.ok(err.reason.includes(reason), `reason ${JSON.stringify(err.reason)} should contain ${JSON.stringify(reason)}`);
      assert.ok(err.message.endsWith(` at position ${position}`), err.message);
    });
  }

  it('parseSelector() accepts a 512-character label and rejects nesting deeper than the limit', () => {
    assert.equal(parseSelector(`has(${'x'.repeat(512)})`).labelNames()[0]?.length, 512);
    assert.ok(parseSelector(`${'('.repeat(1000)}has(a)${')'.repeat(1000)}`).matches({ a: '' }));
    const err = syntaxErrorOf(`${'('.repeat(1001)}has(a)${')'.repeat(1001)}`);
    assert.equal(err.position, 1000);
  });

  it('parseSelector() throws a TypeError for a non-string', () => {
    assert.throws(() => parseSelector(42 as unknown as string), { name: 'TypeError', message: 'Cannot parse selector: expected a string, got number' });
    assert.throws(() => parseSelector(null as unknown as string), /got null/);
  });

  it('tryParseSelector() returns undefined for invalid text and a Selector for valid text', () => {
    assert.equal(tryParseSelector('a =='), undefined);
    assert.equal(tryParseSelector(undefined as unknown as string), undefined);
    assert.equal(tryParseSelector("a == 'b'")?.toString(), 'a == "b"');
  });
});

describe('Selector.matches()', () => {
  it('Selector.matches() ignores inherited properties', () => {
    const inherited = Object.create({ a: 'b' }) as Labels;
    for (const text of ['has(a)', 'a == "b"', 'a in {"b"}', 'a in {"b", "c", "d", "e", "f"}', 'a contains "b"', 'a starts with "b"', 'a ends with "b"', 'a contains ""']) {
      assert.equal(parseSelector(text).matches(inherited), false, text);
    }
    for (const text of ['!has(a)', 'a != "b"', 'a not in {"b"}', 'a not in {"b", "c", "d", "e", "f"}']) {
      assert.equal(parseSelector(text).matches(inherited), true, text);
    }
  });

  it('Selector.matches() does not see Object.prototype members as labels', () => {
    for (const text of ['has(constructor)', 'constructor contains ""', 'toString starts with ""', 'hasOwnProperty == ""', 'has(__proto__)']) {
      assert.equal(parseSelector(text).matches({}), false, text);
    }
    assert.equal(parseSelector('constructor != "x"').matches({}), true);
  });

  it('Selector.matches() sees own properties named like prototype members, and null-prototype maps', () => {
    const fromJson = JSON.parse('{"__proto__": "x", "constructor": ""}') as Labels;
    assert.equal(parseSelector('__proto__ == "x" && has(constructor)').matches(fromJson), true);
    const bare = Object.assign(Object.create(null) as Record<string, string>, { a: 'b' });
    assert.equal(parseSelector('a == "b" && !has(c)').matches(bare), true);
  });

  it('Selector.matches() treats an empty value as present', () => {
    const labels = { a: '' };
    assert.equal(parseSelector('has(a)').matches(labels), true);
    assert.equal(parseSelector('a == ""').matches(labels), true);
    assert.equal(parseSelector('a in {""}').matches(labels), true);
    assert.equal(parseSelector('a != ""').matches(labels), false);
    assert.equal(parseSelector('a ends with ""').matches(labels), true);
  });

  it('Selector.matches() compares code units exactly (no case folding or normalisation)', () => {
    assert.equal(parseSelector('a == "é"').matches({ a: 'e\u0301' }), false);
    assert.equal(parseSelector('a == "É"').matches({ a: 'é' }), false);
    assert.equal(parseSelector('a == "b "').matches({ a: 'b' }), false);
    assert.equal(parseSelector('a contains "😀"').matches({ a: 'x😀y' }), true);
  });

  it('Selector.matches() works detached from its selector', () => {
    const sel = parseSelector('has(a)');
    assert.equal(sel.matches, sel.matches, 'compiled once');
    const { matches } = sel;
    const maps: Labels[] = [{ a: '1' }, { b: '2' }];
    assert.deepEqual(maps.filter(matches), [{ a: '1' }]);
  });
});

describe('Selector', () => {
  it('Selector.toString() sorts set values by code point, as Go sorts bytes', () => {
    // UTF-16 order would put U+1F600 (a surrogate pair) before U+FFFD.
    assert.equal(parseSelector('a in {"😀", "\uFFFD", "z", "😀"}').toString(), 'a in {"z", "\uFFFD", "😀"}');
  });

  it('Selector.toString() keeps Calico\'s double negation quirk', () => {
    // !(!x) keeps both NOT nodes and renders as !!x, which re-parses to x: Calico does the same,
    // and the unique ID depends on it.
    const sel = parseSelector('!(!has(a))');
    assert.equal(sel.toString(), '!!has(a)');
    assert.equal(parseSelector(sel.toString()).toString(), 'has(a)');
    assert.equal(sel.matches({ a: '' }), true);
  });

  it('Selector.uniqueId() hashes the UTF-8 canonical text', () => {
    const expected = `s:${createHash('sha224').update('s:a == "é😀"', 'utf8').digest('base64url')}`;
    assert.equal(parseSelector("a=='é😀'").uniqueId(), expected);
  });

  it('Selector.equals() compares canonical forms', () => {
    assert.ok(parseSelector("a=='b'&&has(c)").equals(parseSelector('(a == "b" && has( c ))')));
    assert.ok(!parseSelector('a == "b" && has(c)').equals(parseSelector('has(c) && a == "b"')));
  });

  it('Selector.toJSON() serialises as the canonical text', () => {
    assert.equal(JSON.stringify({ selector: parseSelector("a=='b'") }), '{"selector":"a == \\"b\\""}');
  });

  it('Selector.prefixLabels() prefixes label names only and matches prefixed labels', () => {
    const sel = parseSelector("role == 'db' && !has(tier) || all() || global()");
    const ns = sel.prefixLabels('pcns.');
    assert.equal(ns.toString(), '((pcns.role == "db" && !has(pcns.tier)) || all() || global())');
    assert.equal(parseSelector('role == "db"').prefixLabels('pcns.').matches({ 'pcns.role': 'db' }), true);
    assert.equal(parseSelector('role == "db"').prefixLabels('pcns.').matches({ role: 'db' }), false);
    assert.throws(() => sel.prefixLabels('bad prefix:'), RangeError);
  });

  it('Selector.labelNames() lists each label once in order of appearance', () => {
    assert.deepEqual(parseSelector('b == "1" || has(a) && !b in {"x"} || all() || c not in {}').labelNames(), ['b', 'a', 'c']);
    assert.deepEqual(parseSelector('').labelNames(), []);
  });

  it('Selector.root is a frozen tree', () => {
    const sel = parseSelector('a in {"y", "x"} && has(b)');
    assert.ok(Object.isFrozen(sel.root));
    assert.equal(sel.root.type, 'and');
    if (sel.root.type !== 'and') return;
    const set = sel.root.operands[0];
    assert.ok(set?.type === 'in');
    assert.deepEqual(set.values, ['x', 'y']);
    assert.ok(Object.isFrozen(set.values));
  });

  it('parseSelector() parses empty and blank text as all()', () => {
    for (const text of ['', ' ', '\t \t']) {
      const sel = parseSelector(text);
      assert.equal(sel.toString(), 'all()');
      assert.equal(sel.matches({}), true);
    }
  });
});

describe('normaliseSelector()', () => {
  const cases: [string, string][] = [
    ["  a=='b' ", 'a == "b"'],
    ['\n\ta == "b"\r\n', 'a == "b"'],
    ['\u0085has(a)\u00a0\u3000', 'has(a)'], // Go's TrimSpace trims NEL and Unicode spaces
    ['\ufeffhas(a)', '\ufeffhas(a)'], // ... but not a BOM, which then fails to parse
    ['  not a selector ', 'not a selector'],
    ['', 'all()'],
    ['a in {"b", "a", "b"}', 'a in {"a", "b"}'],
  ];
  for (const [input, expected] of cases) {
    it(`normaliseSelector() turns ${JSON.stringify(input)} into ${JSON.stringify(expected)}`, () => {
      assert.equal(normaliseSelector(input), expected);
    });
  }
});
