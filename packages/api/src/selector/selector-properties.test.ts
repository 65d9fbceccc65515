/**
 * Property tests for the selector language: random expression trees are printed in varied
 * (non-canonical) spellings and parsed back, and the result is checked against a plain
 * tree-walking reference evaluator, the canonical round trip, label prefixing, label
 * restrictions and unique IDs. Random text checks that bad input only ever fails cleanly.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { compareCodePoints } from './ast.ts';
import { parseSelector, type Labels } from './index.ts';
import { SelectorSyntaxError } from './selector-syntax-error.ts';

// Small pools make matches likely; operator words as label names check they stay labels.
const LABELS = ['a', 'b', 'c', 'in', 'has', 'contains', 'sg.projectcalico.org/openstack-x'] as const;
const VALUES = ['', 'v', 'vw', 'w', "it's", 'say "hi"', 'é', '😀', ' v '] as const;

const labelArb = fc.constantFrom(...LABELS);
// Any value except one holding both quote characters, which the language cannot write.
const valueArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => !(s.includes('"') && s.includes("'"))) },
);
const labelsArb: fc.Arbitrary<Labels> = fc.dictionary(labelArb, fc.constantFrom(...VALUES), { maxKeys: 5 });

/** A generated expression: the intended tree plus spelling choices for printing it. */
type Gen =
  | { k: 'all' | 'global'; spaced: boolean }
  | { k: 'has'; label: string; spaced: boolean }
  | { k: 'cmp'; op: 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith'; label: string; value: string; alt: boolean }
  | { k: 'set'; negated: boolean; label: string; values: string[]; trailingComma: boolean; alt: boolean }
  | { k: 'not'; operand: Gen; bangs: 1 | 3 }
  | { k: 'and' | 'or'; operands: Gen[]; parens: boolean };

const { gen } = fc.letrec<{ gen: Gen }>((tie) => ({
  gen: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ k: fc.constantFrom('all' as const, 'global' as const), spaced: fc.boolean() }),
    fc.record({ k: fc.constant('has' as const), label: labelArb, spaced: fc.boolean() }),
    fc.record({
      k: fc.constant('cmp' as const),
      op: fc.constantFrom('eq' as const, 'ne' as const, 'contains' as const, 'startsWith' as const, 'endsWith' as const),
      label: labelArb, value: valueArb, alt: fc.boolean(),
    }),
    fc.record({
      k: fc.constant('set' as const), negated: fc.boolean(), label: labelArb,
      values: fc.array(valueArb, { maxLength: 7 }), trailingComma: fc.boolean(), alt: fc.boolean(),
    }),
    fc.record({ k: fc.constant('not' as const), operand: tie('gen'), bangs: fc.constantFrom(1 as const, 3 as const) }),
    fc.record({
      k: fc.constantFrom('and' as const, 'or' as const),
      operands: fc.array(tie('gen'), { minLength: 2, maxLength: 4 }), parens: fc.boolean(),
    }),
  ),
}));

function quote(value: string, alt: boolean): string {
  const q = value.includes('"') ? "'" : value.includes("'") ? '"' : alt ? "'" : '"';
  return q + value + q;
}

const SPELLINGS = {
  eq: ['==', '=='], ne: ['!=', '!='], contains: ['contains', 'contains'],
  startsWith: ['starts with', 'startswith'], endsWith: ['ends  with', 'endswith'],
} as const;

/** Prints a generated tree in a non-canonical spelling that still parses to the same structure. */
function print(g: Gen): string {
  switch (g.k) {
    case 'all':
    case 'global':
      return g.spaced ? `${g.k}( \t)` : `${g.k}()`;
    case 'has':
      return g.spaced ? `has(\t${g.label} )` : `has(${g.label})`;
    case 'cmp':
      return `${g.label} ${SPELLINGS[g.op][g.alt ? 1 : 0]}${g.alt ? '' : ' '}${quote(g.value, g.alt)}`;
    case 'set': {
      const op = g.negated ? (g.alt ? 'notin' : 'not \t in') : 'in';
      const items = g.values.map((v) => quote(v, g.alt)).join(g.alt ? ',' : ' , ');
      return `${g.label}\t${op}${g.alt ? '' : ' '}{${items}${g.trailingComma && g.values.length > 0 ? ',' : ''}}`;
    }
    case 'not': {
      // A bare `!!x` would collapse; parenthesise anything that is not a primary to keep the tree.
      const inner = print(g.operand);
      const primary = g.operand.k !== 'and' && g.operand.k !== 'or' && g.operand.k !== 'not';
      return '!'.repeat(g.bangs) + (primary ? inner : `(${inner})`);
    }
    case 'and':
    case 'or': {
      // Nested AND/OR get parentheses so the tree keeps its shape (otherwise chains would merge).
      const parts = g.operands.map((op) => (op.k === 'and' || op.k === 'or' ? `(${print(op)})` : print(op)));
      const text = parts.join(g.k === 'and' ? (g.parens ? '&&' : ' && ') : (g.parens ? '||' : ' ||\t'));
      return g.parens ? `( ${text} )` : text;
    }
  }
}

/** The reference semantics (spec §3), walking the generated tree. */
function evaluate(g: Gen, labels: Labels): boolean {
  const present = (k: string) => Object.hasOwn(labels, k);
  switch (g.k) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return present(g.label);
    case 'cmp': {
      const v = labels[g.label];
      if (!present(g.label) || v === undefined) return g.op === 'ne';
      switch (g.op) {
        case 'eq': return v === g.value;
        case 'ne': return v !== g.value;
        case 'contains': return v.includes(g.value);
        case 'startsWith': return v.startsWith(g.value);
        case 'endsWith': return v.endsWith(g.value);
      }
      break;
    }
    case 'set': {
      const v = labels[g.label];
      const inSet = present(g.label) && v !== undefined && g.values.includes(v);
      return g.negated ? !inSet : inSet;
    }
    case 'not':
      return !evaluate(g.operand, labels);
    case 'and':
      return g.operands.every((op) => evaluate(op, labels));
    case 'or':
      return g.operands.some((op) => evaluate(op, labels));
  }
}

/** Whether the tree has a NOT directly over a NOT, whose canonical text `!!x` re-parses to `x`. */
function hasDoubleNot(g: Gen): boolean {
  switch (g.k) {
    case 'not': return g.operand.k === 'not' || hasDoubleNot(g.operand);
    case 'and':
    case 'or': return g.operands.some(hasDoubleNot);
    default: return false;
  }
}

const RUNS = { numRuns: 400 };

describe('selector properties', () => {
  it('parseSelector() of a printed tree matches exactly where the reference evaluator does', () => {
    fc.assert(fc.property(gen, fc.array(labelsArb, { minLength: 1, maxLength: 8 }), (g, maps) => {
      const sel = parseSelector(print(g));
      for (const labels of maps) assert.equal(sel.matches(labels), evaluate(g, labels), `${print(g)} on ${JSON.stringify(labels)}`);
    }), RUNS);
  });

  it('Selector.toString() re-parses to itself and to the same matches', () => {
    fc.assert(fc.property(gen, fc.array(labelsArb, { maxLength: 8 }), (g, maps) => {
      const canonical = parseSelector(print(g)).toString();
      const reparsed = parseSelector(canonical);
      const again = reparsed.toString();
      // Calico's !(!x) quirk: one more round reaches the fixed point.
      if (hasDoubleNot(g)) assert.equal(parseSelector(again).toString(), again);
      else assert.equal(again, canonical);
      for (const labels of maps) assert.equal(reparsed.matches(labels), evaluate(g, labels), `${canonical} on ${JSON.stringify(labels)}`);
    }), RUNS);
  });

  it('Selector.prefixLabels() matches the prefixed label map as the original matches the original', () => {
    fc.assert(fc.property(gen, labelsArb, (g, labels) => {
      const prefixed = parseSelector(print(g)).prefixLabels('pcns.');
      const shifted = Object.fromEntries(Object.entries(labels).map(([k, v]) => [`pcns.${k}`, v]));
      assert.equal(prefixed.matches(shifted), evaluate(g, labels));
      assert.equal(parseSelector(prefixed.toString()).matches(shifted), evaluate(g, labels));
    }), RUNS);
  });

  it('Selector.labelRestrictions() holds for every label map the selector matches', () => {
    fc.assert(fc.property(gen, fc.array(labelsArb, { minLength: 1, maxLength: 8 }), (g, maps) => {
      const sel = parseSelector(print(g));
      const restrictions = sel.labelRestrictions();
      for (const labels of maps) {
        if (!sel.matches(labels)) continue;
        for (const [label, r] of restrictions) {
          const present = Object.hasOwn(labels, label);
          if (r.mustBePresent) assert.ok(present, `${sel} matched without ${label}`);
          if (r.mustBeAbsent) assert.ok(!present, `${sel} matched with ${label}`);
          if (r.mustHaveOneOfValues) assert.ok(r.mustHaveOneOfValues.includes(labels[label] as string), `${sel} matched ${label}=${labels[label]}`);
        }
      }
    }), RUNS);
  });

  it('Selector.uniqueId() equals SHA-224 of the UTF-8 canonical text, base64url without padding', () => {
    fc.assert(fc.property(gen, (g) => {
      const sel = parseSelector(print(g));
      const digest = createHash('sha224').update(`s:${sel.toString()}`, 'utf8').digest('base64url');
      assert.equal(sel.uniqueId(), `s:${digest}`);
    }), { numRuns: 200 });
  });

  it('parseSelector() either succeeds or throws a SelectorSyntaxError inside the text, on any input', () => {
    const alphabet = fc.constantFrom(...'ab.-/ \t\n(){},!=&|"\'%', 'has(', 'all(', 'global(', ' in ', ' not in ', ' contains ', ' starts with ', '😀');
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 25 }).map((parts) => parts.join('')), (text) => {
      try {
        const sel = parseSelector(text);
        assert.equal(parseSelector(sel.toString()).toString(), parseSelector(sel.toString()).toString());
      } catch (err) {
        assert.ok(err instanceof SelectorSyntaxError, `unexpected ${String(err)} for ${JSON.stringify(text)}`);
        assert.ok(err.position >= 0 && err.position <= text.length, `position ${err.position} outside ${JSON.stringify(text)}`);
      }
    }), { numRuns: 2000 });
  });

  it('compareCodePoints() orders strings as their UTF-8 bytes', () => {
    const str = fc.string({ unit: 'binary', maxLength: 4 }).filter((s) => !/\p{Cs}/u.test(s)); // no lone surrogates
    fc.assert(fc.property(str, str, (a, b) => {
      const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      assert.equal(Math.sign(compareCodePoints(a, b)), expected);
    }), { numRuns: 1000 });
  });
});
