/**
 * Writes JSON values as YAML byte-for-byte like calicoctl (sigs.k8s.io/yaml over
 * go-yaml v2): keys in go-yaml's natural order, sequences not indented under their
 * key, strings quoted only when a plain scalar would read back as something else,
 * and libyaml's folding of long scalars at column 80.
 * @module
 */
import { formatGoFloat, resolvePlainScalar } from '../input/yaml-scalar.ts';

const BEST_WIDTH = 80;
const INDENT = 2;

/** go-yaml v2's key order: letters by code point, digit runs numerically, non-letters before letters. */
export function compareYamlKeys(a: string, b: string): number {
  if (a === b) return 0;
  return yamlKeyLess(a, b) ? -1 : 1;
}

function isLetterCode(c: number): boolean {
  if (c < 0x80) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return /\p{L}/u.test(String.fromCodePoint(c));
}
const isDigitCode = (c: number) => c >= 48 && c <= 57;

const SURROGATE = /[\uD800-\uDFFF]/;

// Compares code points; strings are walked by UTF-16 unit until a surrogate shows up,
// after which the (rare) code-point walk takes over so astral letters count once.
// Written without helpers: it runs once per comparison while sorting every map.
function yamlKeyLess(a: string, b: string): boolean {
  const alen = a.length;
  const blen = b.length;
  const n = alen < blen ? alen : blen;
  for (let i = 0; i < n; i++) {
    const ac = a.charCodeAt(i);
    const bc = b.charCodeAt(i);
    if (ac === bc) continue;
    if ((ac >= 0xd800 && ac <= 0xdfff) || (bc >= 0xd800 && bc <= 0xdfff)) return codePointKeyLess(a, b);
    const al = ac < 0x80 ? (ac >= 65 && ac <= 90) || (ac >= 97 && ac <= 122) : isLetterCode(ac);
    const bl = bc < 0x80 ? (bc >= 65 && bc <= 90) || (bc >= 97 && bc <= 122) : isLetterCode(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ac === 48 || bc === 48) {
      for (let j = i - 1; j >= 0; j--) {
        const c = a.charCodeAt(j);
        if (c < 48 || c > 57) break;
        if (c !== 48) {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < alen; ai++) {
      const c = a.charCodeAt(ai);
      if (c < 48 || c > 57) break;
      an = an * 10 + (c - 48);
    }
    let bi = i;
    for (; bi < blen; bi++) {
      const c = b.charCodeAt(bi);
      if (c < 48 || c > 57) break;
      bn = bn * 10 + (c - 48);
    }
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return alen < blen;
}

function codePointKeyLess(a: string, b: string): boolean {
  const ar = [...a].map((c) => c.codePointAt(0)!);
  const br = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] !== br[i]) return differsAt(ar[i]!, br[i]!, i, (j) => ar[j]!, (j) => br[j]!, ar.length, br.length);
  }
  return ar.length < br.length;
}

// go-yaml v2's keyList.Less from the first differing position on.
function differsAt(ac: number, bc: number, i: number, at: (j: number) => number, bt: (j: number) => number, alen: number, blen: number): boolean {
  const al = isLetterCode(ac);
  const bl = isLetterCode(bc);
  if (al && bl) return ac < bc;
  if (al || bl) return bl;
  let an = 0;
  let bn = 0;
  if (ac === 48 || bc === 48) {
    for (let j = i - 1; j >= 0 && isDigitCode(at(j)); j--) {
      if (at(j) !== 48) {
        an = 1;
        bn = 1;
        break;
      }
    }
  }
  let ai = i;
  for (; ai < alen && isDigitCode(at(ai)); ai++) an = an * 10 + (at(ai) - 48);
  let bi = i;
  for (; bi < blen && isDigitCode(bt(bi)); bi++) bn = bn * 10 + (bt(bi) - 48);
  if (an !== bn) return an < bn;
  if (ai !== bi) return ai < bi;
  return ac < bc;
}

function lettersOnly(k: string): boolean {
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

// Among ASCII letters go-yaml's order is plain code-point order, which the native sort
// gives fastest; the members of resources (metadata, spec) are all such keys.
function sortKeys(keys: string[]): string[] {
  if (keys.length < 2) return keys;
  for (const k of keys) if (!lettersOnly(k)) return inYamlOrder(keys) ? keys : keys.sort(compareYamlKeys);
  return keys.sort();
}

// Label and annotation maps arrive in byte order, which is usually go-yaml's order too:
// one pass of comparisons then saves the sort.
function inYamlOrder(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!yamlKeyLess(keys[i - 1]!, keys[i]!)) return false;
  return true;
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const isPrintable = (cp: number) =>
  cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
const isBreak = (cp: number) => cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
const isBlankOrEnd = (cp: number | undefined) => cp === undefined || cp === 0x20 || cp === 0x09 || isBreak(cp) || cp === 0;

const FIRST_INDICATORS = new Set([...'#,[]{}&*!|>\'"%@`'].map((c) => c.charCodeAt(0)));

const EMPTY_SCALAR: ScalarAnalysis = Object.freeze({ multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false });
const SIMPLE_SCALAR: ScalarAnalysis = Object.freeze({ multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true });

// Characters that never make a plain scalar need quoting by themselves (anywhere but first).
const SAFE = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _./()=&|!\'":-') SAFE[c.charCodeAt(0)] = 1;

/**
 * True for the common strings (names, selectors, addresses, timestamps) that libyaml
 * allows plain: safe characters, a safe first character, no `: `, no trailing space or
 * colon. Everything else gets the full analysis.
 */
function isSimple(v: string): boolean {
  const first = v.charCodeAt(0);
  if (first === 0x20 || first === 0x2d || first === 0x3a || first === 0x26 || first === 0x7c || first === 0x21 || first === 0x27 || first === 0x22) return false;
  let prev = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || SAFE[c] === 0) return false;
    if (c === 0x20 && prev === 0x3a) return false;
    prev = c;
  }
  return prev !== 0x20 && prev !== 0x3a && !(first === 0x2e && v.startsWith('...'));
}

// libyaml's yaml_emitter_analyze_scalar, reduced to what block-style output needs.
function analyze(value: string): ScalarAnalysis {
  if (value.length === 0) return EMPTY_SCALAR;
  if (isSimple(value)) return SIMPLE_SCALAR;
  const cps = SURROGATE.test(value) ? [...value].map((c) => c.codePointAt(0)!) : Array.from({ length: value.length }, (_, i) => value.charCodeAt(i));
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    const followedByWhitespace = isBlankOrEnd(cps[i + 1]);
    if (i === 0) {
      if (FIRST_INDICATORS.has(c)) blockIndicators = true;
      else if ((c === 0x3f || c === 0x3a || c === 0x2d) && followedByWhitespace) blockIndicators = true; // ? : -
    } else if (c === 0x3a && followedByWhitespace) blockIndicators = true; // :
    else if (c === 0x23 && precededByWhitespace) blockIndicators = true; // #
    if (!isPrintable(c)) special = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankOrEnd(c);
  }
  const r: ScalarAnalysis = { multiline: lineBreaks, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) r.blockPlainAllowed = false;
  if (trailingSpace) r.blockAllowed = false;
  if (breakSpace) r.blockPlainAllowed = r.singleQuotedAllowed = false;
  if (spaceBreak || special) r.blockPlainAllowed = r.singleQuotedAllowed = r.blockAllowed = false;
  if (lineBreaks) r.blockPlainAllowed = false;
  if (blockIndicators) r.blockPlainAllowed = false;
  return r;
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

// go-yaml's encoder: plain when the text reads back as the same string, otherwise double quotes.
function requestedStyle(s: string): 'plain' | 'double' | 'literal' {
  if (s.includes('\n')) return 'literal';
  return resolvePlainScalar(s).tag === 'str' && !(s.includes(':') && BASE60_FLOAT.test(s)) ? 'plain' : 'double';
}

const SPACES: string[] = [];
const spaces = (n: number) => (SPACES[n] ??= ' '.repeat(n));

/** Emitter state mirroring libyaml's column/whitespace/indention tracking. */
class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  /** Per mapping key seen so far: its `key:` text when written plain as a simple key, else null. */
  readonly plainKeys = new Map<string, string | null>();

  append(s: string): void {
    this.out += s;
  }

  write(s: string): void {
    this.out += s;
    this.column += s.length;
  }

  newline(): void {
    this.append('\n');
    this.column = 0;
  }

  writeIndent(indent: number): void {
    const i = Math.max(indent, 0);
    if (!this.indention || this.column > i || (this.column === i && !this.whitespace)) {
      // The usual case, a new line at the indent, is one append.
      this.append(i > 0 ? `\n${spaces(i)}` : '\n');
      this.column = i;
    } else if (this.column < i) {
      this.append(spaces(i - this.column));
      this.column = i;
    }
    this.whitespace = true;
    this.indention = true;
  }

  indicator(s: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.write(' ');
    this.write(s);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  plain(value: string, indent: number, allowBreaks: boolean): void {
    if (!this.whitespace) this.write(' ');
    if (!allowBreaks || this.column + value.length <= BEST_WIDTH || !value.includes(' ')) {
      this.write(value);
    } else {
      const cps = [...value];
      let spaces = false;
      for (let i = 0; i < cps.length; i++) {
        const c = cps[i]!;
        if (c === ' ') {
          if (!spaces && this.column > BEST_WIDTH && cps[i + 1] !== ' ') this.writeIndent(indent);
          else this.write(c);
          spaces = true;
        } else {
          this.write(c);
          this.indention = false;
          spaces = false;
        }
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  singleQuoted(value: string, indent: number, allowBreaks: boolean): void {
    this.indicator("'", true, false, false);
    const cps = [...value];
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < cps.length - 1 && cps[i + 1] !== ' ') this.writeIndent(indent);
        else this.write(c);
        spaces = true;
      } else if (isBreak(c.codePointAt(0)!)) {
        if (!breaks && c === '\n') this.newline();
        this.append(c);
        this.column = 0;
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent(indent);
        this.write(c === "'" ? "''" : c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.indicator("'", false, false, false);
  }

  doubleQuoted(value: string, indent: number, allowBreaks: boolean): void {
    this.indicator('"', true, false, false);
    const cps = [...value];
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      const cp = c.codePointAt(0)!;
      if (!isPrintable(cp) || cp === 0xfeff || isBreak(cp) || c === '"' || c === '\\') {
        this.write(`\\${escapeFor(cp)}`);
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < cps.length - 1) {
          this.writeIndent(indent);
          if (cps[i + 1] === ' ') this.write('\\');
        } else {
          this.write(c);
        }
        spaces = true;
      } else {
        this.write(c);
        spaces = false;
      }
    }
    this.indicator('"', false, false, false);
  }

  literal(value: string, indent: number): void {
    this.indicator('|', true, false, false);
    const cps = [...value];
    if (cps[0] === ' ' || isBreak(cps[0]!.codePointAt(0)!)) this.indicator(String(INDENT), false, false, false);
    const last = cps.length - 1;
    let chomp = '';
    if (!isBreak(cps[last]!.codePointAt(0)!)) chomp = '-';
    else if (last === 0 || isBreak(cps[last - 1]!.codePointAt(0)!)) chomp = '+';
    if (chomp) this.indicator(chomp, false, false, false);
    this.newline();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of cps) {
      if (isBreak(c.codePointAt(0)!)) {
        this.append(c === '\r' || c === '\n' ? '\n' : c);
        this.column = 0;
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent(indent);
        this.write(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

const NAMED_ESCAPES = new Map<number, string>([
  [0x00, '0'], [0x07, 'a'], [0x08, 'b'], [0x09, 't'], [0x0a, 'n'], [0x0b, 'v'], [0x0c, 'f'], [0x0d, 'r'],
  [0x1b, 'e'], [0x22, '"'], [0x5c, '\\'], [0x85, 'N'], [0xa0, '_'], [0x2028, 'L'], [0x2029, 'P'],
]);

function escapeFor(cp: number): string {
  const named = NAMED_ESCAPES.get(cp);
  if (named) return named;
  if (cp <= 0xff) return `x${cp.toString(16).toUpperCase().padStart(2, '0')}`;
  if (cp <= 0xffff) return `u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `U${cp.toString(16).toUpperCase().padStart(8, '0')}`;
}

type FinalStyle = 'plain' | 'single' | 'double' | 'literal';

// libyaml's final style for a scalar, from go-yaml's requested style and the scalar's analysis.
function finalStyle(s: string, simpleKey: boolean): FinalStyle {
  let style = requestedStyle(s);
  const a = analyze(s);
  if (simpleKey && a.multiline) style = 'double';
  let final: FinalStyle = style;
  if (final === 'plain' && (!a.blockPlainAllowed || (s.length === 0 && simpleKey))) final = 'single';
  if (final === 'single' && !a.singleQuotedAllowed) final = 'double';
  if (final === 'literal' && (!a.blockAllowed || simpleKey)) final = 'double';
  return final;
}

// One string scalar: pick libyaml's final style, then write it.
function emitString(e: Emitter, s: string, indent: number, simpleKey: boolean): void {
  const final = finalStyle(s, simpleKey);
  const allowBreaks = !simpleKey;
  if (final === 'plain') e.plain(s, indent, allowBreaks);
  else if (final === 'single') e.singleQuoted(s, indent, allowBreaks);
  else if (final === 'double') e.doubleQuoted(s, indent, allowBreaks);
  else e.literal(s, indent);
}

function scalarText(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    return formatGoFloat(v);
  }
  return undefined;
}

const isEmptyCollection = (v: unknown) =>
  v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);

// Writes a scalar or an empty collection, which libyaml always writes inline.
function emitInline(e: Emitter, v: unknown, indent: number, simpleKey: boolean): void {
  if (typeof v === 'string') {
    emitString(e, v, indent, simpleKey);
    return;
  }
  if (isEmptyCollection(v)) {
    e.indicator(Array.isArray(v) ? '[' : '{', true, true, false);
    e.indicator(Array.isArray(v) ? ']' : '}', false, false, false);
    return;
  }
  const text = scalarText(v);
  if (text === undefined) throw new TypeError(`cannot write a ${typeof v} as YAML`);
  e.plain(text, indent, false);
}

// A key libyaml cannot write as a simple key (too long, or spanning lines).
const isComplexKey = (key: string) => (key.length > 42 && Buffer.byteLength(key) > 128) || key.includes('\n');

// The same keys recur in every item of a listing; the cap bounds memory for unique ones.
const KEY_CACHE_LIMIT = 1 << 16;

// `key:` when the key is written as a plain simple key, otherwise null.
function plainKeyText(key: string): string | null {
  return !isComplexKey(key) && finalStyle(key, true) === 'plain' ? `${key}:` : null;
}

function emitNode(e: Emitter, v: unknown, indent: number, inMappingValue: boolean): void {
  if (v !== null && typeof v === 'object') {
    if (Array.isArray(v)) {
      if (v.length === 0) {
        emitInline(e, v, indent + INDENT, false);
        return;
      }
      // Sequences directly under a mapping key are not indented (go-yaml v2 style).
      const seqIndent = inMappingValue && !e.indention ? indent : indent + INDENT;
      for (const item of v) {
        e.writeIndent(seqIndent);
        e.indicator('-', true, false, true);
        emitNode(e, item, seqIndent, false);
      }
    } else {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj);
      if (keys.length === 0) {
        emitInline(e, v, indent + INDENT, false);
        return;
      }
      const mapIndent = indent + INDENT;
      for (const key of sortKeys(keys)) {
        const value = obj[key];
        e.writeIndent(mapIndent);
        let plainKey = e.plainKeys.get(key);
        if (plainKey === undefined) {
          plainKey = plainKeyText(key);
          if (e.plainKeys.size < KEY_CACHE_LIMIT) e.plainKeys.set(key, plainKey);
        }
        if (plainKey !== null) {
          // What emitInline and the ':' indicator write for a plain simple key right after an indent.
          e.write(plainKey);
          e.whitespace = false;
          e.indention = false;
        } else if (isComplexKey(key)) {
          // Not a simple key: libyaml writes `? key` and `: value` on separate lines.
          e.indicator('?', true, false, true);
          emitInline(e, key, mapIndent + INDENT, false);
          e.writeIndent(mapIndent);
          e.indicator(':', true, false, true);
        } else {
          emitInline(e, key, mapIndent + INDENT, true);
          e.indicator(':', false, false, false);
        }
        emitNode(e, value, mapIndent, true);
      }
    }
    return;
  }
  emitInline(e, v, indent + INDENT, false);
}

/** Serialises a JSON value as calicoctl's `-o yaml` does; the result ends with a newline. */
export function toYaml(value: unknown): string {
  const e = new Emitter();
  emitNode(e, value, -INDENT, false);
  e.writeIndent(-1);
  let out = e.out;
  if (!out.endsWith('\n')) out += '\n';
  return out.startsWith('\n') ? out.slice(1) : out;
}
