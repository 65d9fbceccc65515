/**
 * A fast reader for the block-style YAML subset that resource files are written in
 * (nested mappings and sequences, one-line plain/quoted scalars, `[a, b]` lists,
 * comments). It is an optimisation only: on anything outside that subset, or
 * anything questionable, it answers `UNSUPPORTED` and the caller falls back to
 * the full YAML parser, which also produces the error messages.
 * @module
 */
import { mapKeyString, plainScalarValue } from './yaml-scalar.ts';

/** Returned when the text needs the full parser. */
export const UNSUPPORTED: unique symbol = Symbol('unsupported YAML');

interface Line {
  indent: number;
  text: string;
  /** The line split as `key: rest`, once asked (null: not a mapping entry). */
  entry?: { key: string; rest: string } | null;
}

// Every line is asked "is this a mapping entry?" before it is read as one: split once.
function entryOf(line: Line): { key: string; rest: string } | null {
  if (line.entry === undefined) line.entry = splitKey(line.text) ?? null;
  return line.entry;
}

class Unsupported extends Error {}
const bail = (): never => {
  throw new Unsupported();
};

/** Sets a key, treating `__proto__` as the ordinary key it is in YAML. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

// Reads a one-line double-quoted scalar starting at s[0] === '"'; returns [value, end].
function scanDoubleQuoted(s: string): [string, number] {
  let out = '';
  let i = 1;
  for (;;) {
    const q = s.indexOf('"', i);
    const b = s.indexOf('\\', i);
    if (q < 0) return bail();
    if (b < 0 || q < b) return [out + s.slice(i, q), q + 1];
    out += s.slice(i, b);
    const c = s[b + 1];
    if (c === undefined) return bail();
    const width = HEX_ESCAPES[c];
    if (width) {
      const hex = s.slice(b + 2, b + 2 + width);
      if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) return bail();
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i = b + 2 + width;
    } else {
      const e = ESCAPES[c];
      if (e === undefined) return bail();
      out += e;
      i = b + 2;
    }
  }
}

// Reads a one-line single-quoted scalar starting at s[0] === "'"; returns [value, end].
function scanSingleQuoted(s: string): [string, number] {
  let out = '';
  let i = 1;
  for (;;) {
    const q = s.indexOf("'", i);
    if (q < 0) return bail();
    out += s.slice(i, q);
    if (s[q + 1] === "'") {
      out += "'";
      i = q + 2;
    } else {
      return [out, q + 1];
    }
  }
}

// After a quoted scalar or flow list only whitespace and a comment may follow.
function expectLineEnd(s: string, from: number): void {
  const rest = s.slice(from);
  if (rest === '' || /^ +(#.*)?$/.test(rest)) return;
  bail();
}

// First characters that make a plain scalar something else (or invalid).
const INDICATORS = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

function plainValue(text: string): unknown {
  const c = text[0]!;
  if (INDICATORS.has(c)) {
    // `-x`, `?x` and `:x` are ordinary plain scalars; the others never are.
    if (!(c === '-' || c === '?' || c === ':') || text.length === 1 || text[1] === ' ') return bail();
  }
  const hash = text.indexOf(' #');
  const v = (hash >= 0 ? text.slice(0, hash) : text).trimEnd();
  if (v.includes(': ') || v.endsWith(':')) return bail();
  return plainScalarValue(v);
}

function flowSequence(s: string): unknown[] {
  const items: unknown[] = [];
  let i = 1;
  const skip = () => {
    while (s[i] === ' ') i++;
  };
  skip();
  if (s[i] === ']') {
    expectLineEnd(s, i + 1);
    return items;
  }
  for (;;) {
    skip();
    const c = s[i];
    if (c === '"' || c === "'") {
      const [v, end] = c === '"' ? scanDoubleQuoted(s.slice(i)) : scanSingleQuoted(s.slice(i));
      items.push(v);
      i += end;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ',' && s[j] !== ']') j++;
      const text = s.slice(i, j).trimEnd();
      if (text === '' || /[[\]{}#:"']/.test(text) || INDICATORS.has(text[0]!)) return bail();
      items.push(plainScalarValue(text));
      i = j;
    }
    skip();
    if (s[i] === ',') {
      i++;
      skip();
      if (s[i] === ']') break;
      continue;
    }
    if (s[i] === ']') break;
    return bail();
  }
  expectLineEnd(s, i + 1);
  return items;
}

// A value written on the same line as its key or sequence dash.
function inlineValue(s: string): unknown {
  switch (s[0]) {
    case '"': {
      const [v, end] = scanDoubleQuoted(s);
      expectLineEnd(s, end);
      return v;
    }
    case "'": {
      const [v, end] = scanSingleQuoted(s);
      expectLineEnd(s, end);
      return v;
    }
    case '[':
      return flowSequence(s);
    case '{':
      if (/^\{ *\}( +#.*)?$/.test(s)) return {};
      return bail();
    default:
      return plainValue(s);
  }
}

// Splits `key: rest` (or `key:`), or answers undefined when the line is not a mapping entry.
function splitKey(t: string): { key: string; rest: string } | undefined {
  let key: unknown;
  let after: number;
  if (t[0] === '"' || t[0] === "'") {
    const [v, end] = t[0] === '"' ? scanDoubleQuoted(t) : scanSingleQuoted(t);
    let j = end;
    while (t[j] === ' ') j++;
    if (t[j] !== ':' || (j + 1 < t.length && t[j + 1] !== ' ')) return bail();
    key = v;
    after = j + 1;
  } else {
    let idx = t.indexOf(': ');
    if (idx < 0) {
      if (!t.endsWith(':')) return undefined;
      idx = t.length - 1;
    }
    const text = t.slice(0, idx).trimEnd();
    if (text === '' || text.includes(' #') || text === '<<') return bail();
    const c = text[0]!;
    if (INDICATORS.has(c) && !((c === '-' || c === ':') && text.length > 1 && text[1] !== ' ')) return bail();
    key = plainScalarValue(text);
    after = idx + 1;
  }
  if (key === null) return bail();
  return { key: mapKeyString(key as string | number | boolean), rest: t.slice(after).trimStart() };
}

const isSeqEntry = (t: string) => t === '-' || t.startsWith('- ');
const isEmptyOrComment = (t: string) => t === '' || t[0] === '#';

class BlockReader {
  private readonly lines: Line[];
  private i = 0;

  constructor(lines: Line[]) {
    this.lines = lines;
  }

  read(): unknown {
    if (this.lines.length === 0) return null;
    const first = this.lines[0]!;
    const value = this.node(first.indent);
    if (this.i !== this.lines.length) bail();
    return value;
  }

  private get current(): Line | undefined {
    return this.lines[this.i];
  }

  // Fails when the next line is indented deeper than a finished node allows.
  private noDeeperThan(indent: number): void {
    const next = this.current;
    if (next && next.indent > indent) bail();
  }

  private node(indent: number): unknown {
    const line = this.current!;
    const t = line.text;
    if (isSeqEntry(t)) return this.sequence(indent);
    if (entryOf(line)) return this.mapping(indent);
    this.i++;
    const v = inlineValue(t);
    this.noDeeperThan(indent - 1);
    return v;
  }

  private mapping(indent: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (let line = this.current; line && line.indent === indent; line = this.current) {
      const kv = entryOf(line);
      if (!kv || Object.hasOwn(obj, kv.key)) return bail();
      this.i++;
      let value: unknown = null;
      if (isEmptyOrComment(kv.rest)) {
        const next = this.current;
        if (next && next.indent > indent) value = this.node(next.indent);
        else if (next && next.indent === indent && isSeqEntry(next.text)) value = this.sequence(indent);
      } else {
        value = inlineValue(kv.rest);
      }
      setKey(obj, kv.key, value);
      this.noDeeperThan(indent);
    }
    return obj;
  }

  private sequence(indent: number): unknown[] {
    const arr: unknown[] = [];
    for (let line = this.current; line && line.indent === indent && isSeqEntry(line.text); line = this.current) {
      const afterDash = line.text.slice(1);
      const rest = afterDash.trimStart();
      let value: unknown = null;
      if (isEmptyOrComment(rest)) {
        this.i++;
        const next = this.current;
        if (next && next.indent > indent) value = this.node(next.indent);
      } else if (isSeqEntry(rest) || splitKey(rest)) {
        // `- key: v` / `- - v`: the entry's content is a block that starts mid-line.
        const column = indent + 1 + (afterDash.length - rest.length);
        this.lines[this.i] = { indent: column, text: rest };
        value = this.node(column);
      } else {
        this.i++;
        value = inlineValue(rest);
      }
      arr.push(value);
      this.noDeeperThan(indent);
    }
    return arr;
  }
}

/** Parses `src` if it is within the fast subset; otherwise returns `UNSUPPORTED`. */
export function parseFastYaml(src: string): unknown {
  if (src.includes('\t') || src.includes('\r') || src.charCodeAt(0) === 0xfeff) return UNSUPPORTED;
  const lines: Line[] = [];
  let first = true;
  for (const raw of src.split('\n')) {
    let indent = 0;
    while (raw.charCodeAt(indent) === 32) indent++;
    const text = raw.slice(indent).trimEnd();
    if (isEmptyOrComment(text)) continue;
    if (text === '---' || text.startsWith('--- ') || text === '...' || text.startsWith('... ') || text[0] === '%') {
      // A leading document marker (alone or with a comment) is fine; anything else is for the full parser.
      if (!(first && indent === 0 && (text === '---' || /^--- +#/.test(text)))) return UNSUPPORTED;
      first = false;
      continue;
    }
    first = false;
    lines.push({ indent, text });
  }
  try {
    return new BlockReader(lines).read();
  } catch (err) {
    if (err instanceof Unsupported || err instanceof TypeError) return UNSUPPORTED;
    throw err;
  }
}
