/**
 * YAML 1.1 scalar resolution as calicoctl's YAML stack (go-yaml v2 behind
 * sigs.k8s.io/yaml) applies it: which plain scalars are booleans, nulls, integers
 * or floats. The reader uses it to turn plain scalars into JSON values, and the
 * YAML writer uses it to decide which strings must be quoted.
 * @module
 */

/** The type a plain scalar resolves to. Timestamps are read as strings but must be quoted on output. */
export type ScalarTag = 'str' | 'bool' | 'null' | 'int' | 'float' | 'timestamp';

export interface ResolvedScalar {
  readonly tag: ScalarTag;
  readonly value: string | number | boolean | null;
}

const WORDS = new Map<string, ResolvedScalar>();
for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) WORDS.set(w, { tag: 'bool', value: true });
for (const w of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) WORDS.set(w, { tag: 'bool', value: false });
for (const w of ['', '~', 'null', 'Null', 'NULL']) WORDS.set(w, { tag: 'null', value: null });
for (const w of ['.nan', '.NaN', '.NAN']) WORDS.set(w, { tag: 'float', value: Number.NaN });
for (const w of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) WORDS.set(w, { tag: 'float', value: Number.POSITIVE_INFINITY });
for (const w of ['-.inf', '-.Inf', '-.INF']) WORDS.set(w, { tag: 'float', value: Number.NEGATIVE_INFINITY });

// go-yaml only looks further at scalars whose first character hints at a non-string.
function hint(c: string): 'M' | 'D' | 'S' | '.' | undefined {
  if (c >= '0' && c <= '9') return 'D';
  if (c === '+' || c === '-') return 'S';
  if (c === '.') return '.';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  return undefined;
}

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;
// Go's strconv.ParseInt/ParseUint with base 0, after go-yaml removed underscores.
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/;
// go-yaml's timestamp layouts: 2006-1-2, 2006-1-2 15:4:5[.frac], 2006-1-2T15:4:5[.frac](Z|±hh:mm).
const TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$/;

function parseGoInt(text: string): number {
  const neg = text.startsWith('-');
  const body = text.replace(/^[-+]/, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = Number.parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = Number.parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = Number.parseInt(body.slice(2), 8);
  else if (body.length > 1 && body.startsWith('0')) n = Number.parseInt(body.slice(1), 8);
  else n = Number.parseInt(body, 10);
  return neg ? -n : n;
}

function isTimestamp(s: string): boolean {
  if (s.length < 8 || s[4] !== '-') return false;
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate()) return false;
  const [h, mi, sec] = m[4] !== undefined ? [m[4], m[5], m[6]] : [m[7], m[8], m[9]];
  if (h === undefined) return true;
  return Number(h) < 24 && Number(mi) < 60 && Number(sec) < 60;
}

/** Resolves a plain (unquoted, untagged) scalar exactly as go-yaml v2 does. */
export function resolvePlainScalar(s: string): ResolvedScalar {
  const h = s === '' ? 'M' : hint(s[0]!);
  if (h === undefined) return { tag: 'str', value: s };
  const word = WORDS.get(s);
  if (word) return word;
  if (h === '.') {
    return DOT_FLOAT.test(s) ? { tag: 'float', value: Number(s) } : { tag: 'str', value: s };
  }
  if (h === 'D' || h === 'S') {
    if (h === 'D' && isTimestamp(s)) return { tag: 'timestamp', value: s };
    const plain = s.includes('_') ? s.replaceAll('_', '') : s;
    if (GO_INT.test(plain)) return { tag: 'int', value: parseGoInt(plain) };
    if (YAML_FLOAT.test(plain)) return { tag: 'float', value: Number(plain) };
  }
  return { tag: 'str', value: s };
}

/** The JSON value a plain scalar decodes to (timestamps stay strings, as in go-yaml v2). */
export function plainScalarValue(s: string): string | number | boolean | null {
  const r = resolvePlainScalar(s);
  return r.tag === 'timestamp' ? s : r.value;
}

/**
 * The string a decoded map key becomes in JSON (sigs.k8s.io/yaml's conversion):
 * numbers and booleans are written out, `null` keys are refused.
 * @throws {TypeError} for a null key
 */
export function mapKeyString(key: string | number | boolean | null): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (typeof key === 'number') return Number.isInteger(key) ? String(key) : formatGoFloat(shortestFloat32(key));
  throw new TypeError('unsupported map key of type: <nil>');
}

// The shortest decimal that reads back as the same float32 (FormatFloat's bitSize 32).
function shortestFloat32(f: number): number {
  const target = Math.fround(f);
  for (let p = 1; p < 10; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === target) return candidate;
  }
  return target;
}

/**
 * Go's `strconv.FormatFloat(f, 'g', -1, 64)` (also what `%v` prints for a float64):
 * shortest digits, exponent form when the exponent is below -4 or at least 6.
 */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, expText] = f.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return String(f);
}
