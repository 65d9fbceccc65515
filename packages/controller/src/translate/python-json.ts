/**
 * Python's `json.dumps` with its defaults, byte for byte: networking-calico writes every etcd
 * value this way, and the subnet resync compares raw strings (spec §2, §9.1), so writing the
 * same bytes avoids needless rewrites in a datastore shared with the Python driver.
 * @module
 */

/**
 * Serialises like Python's `json.dumps(value)`: `", "` and `": "` separators, keys in insertion
 * order, every character outside printable ASCII escaped as `\uXXXX` (lower-case hex, UTF-16
 * units), integers without a fraction, floats as Python's `repr`, `NaN`/`Infinity` as Python
 * writes them. `undefined` members are skipped, as `JSON.stringify` does. A `Map` is written as
 * an object in its own order (plain objects list integer-like keys first, as JavaScript orders them).
 *
 * @example
 * pythonJsonDumps({ cidr: '10.65.0.0/24', dns: ['ü'] }); // '{"cidr": "10.65.0.0/24", "dns": ["\\u00fc"]}'
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return number(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return pythonJsonDumps((toJSON as () => unknown).call(value));
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : pythonJsonDumps(v))).join(', ')}]`;
      const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
      const members = entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${quote(String(k))}: ${pythonJsonDumps(v)}`);
      return `{${members.join(', ')}}`;
    }
    default:
      throw new TypeError(`Cannot serialise a ${typeof value} as JSON`);
  }
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    // Everything else, DEL and non-ASCII included; astral characters become their two surrogates.
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** Python's `float.__repr__` / `int.__repr__` for a JavaScript number. */
function number(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  // JavaScript cannot tell 1 from 1.0: exact integers are taken to be Python ints, larger
  // integral values (which JSON.parse gives for Python floats like 1e+16) to be floats.
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? '-0.0' : String(n);
  // repr: the shortest round-tripping digits, positional when -4 <= exponent < 16.
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // Positional: JavaScript writes integral floats without ".0", Python with it.
  const text = n.toFixed(Math.max(0, mantissa.replace(/^-?\d\.?/, '').length - exp));
  return text.includes('.') ? text : `${text}.0`;
}
