/**
 * Calico's `numorstring.Port`: a single port, a port range or a named port, and its JSON
 * forms (resources.md §1.5). Rule `ports`/`notPorts` use it; the schema's `port()` type reads
 * and writes through these functions.
 * @module
 */

/** A decoded port: a numeric range (a single port has `minPort === maxPort`) or a name. */
export type Port =
  | { readonly minPort: number; readonly maxPort: number }
  | { readonly portName: string };

const ALL_DIGITS = /^[0-9]+$/;
const RANGE = /^([0-9]+):([0-9]+)$/;
// What the JSON decoder accepts as a port name; validation applies the stricter port-name rule.
const NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

function uint16(text: string): number | undefined {
  const n = Number(text);
  return n <= 0xffff ? n : undefined;
}

/**
 * Reads a port from its string form: `"80"`, `"1000:2000"` or a name.
 * @throws {RangeError} for a number or range bound above 65535 or a range whose minimum exceeds its maximum.
 * @throws {SyntaxError} for text that is neither numeric nor an acceptable name.
 */
export function portFromString(text: string): Port {
  if (ALL_DIGITS.test(text)) {
    const n = uint16(text);
    if (n === undefined) throw new RangeError(`invalid port format (${text})`);
    return { minPort: n, maxPort: n };
  }
  const range = RANGE.exec(text);
  if (range) {
    const min = uint16(range[1]!);
    if (min === undefined) throw new RangeError(`invalid minimum port number in range (${text})`);
    const max = uint16(range[2]!);
    if (max === undefined) throw new RangeError(`invalid maximum port number in range (${text})`);
    if (min > max) {
      throw new RangeError(`minimum port number (${min}) is greater than maximum port number (${max}) in port range`);
    }
    return { minPort: min, maxPort: max };
  }
  if (!NAME.test(text)) throw new SyntaxError(`invalid name for named port (${text})`);
  return { portName: text };
}

/**
 * Reads a port from its JSON value: a number 0–65535 or a string (see `portFromString`).
 * @throws {TypeError} for a value that is neither a number nor a string.
 * @throws {RangeError} for numbers that are not integers 0–65535, and bad ranges.
 * @throws {SyntaxError} for strings that are not a number, range or acceptable name.
 */
export function parsePort(json: unknown): Port {
  if (typeof json === 'string') return portFromString(json);
  if (typeof json !== 'number') throw new TypeError(`a port must be a number or a string, not ${json === null ? 'null' : typeof json}`);
  if (!Number.isInteger(json) || json < 0 || json > 0xffff) {
    throw new RangeError(`invalid port ${json}: a port number must be an integer between 0 and 65535`);
  }
  return { minPort: json, maxPort: json };
}

/** The JSON form Calico writes: a name as a string, a single port as a number, a range as `"min:max"`. */
export function formatPort(port: Port): number | string {
  if ('portName' in port) return port.portName;
  return port.minPort === port.maxPort ? port.minPort : `${port.minPort}:${port.maxPort}`;
}

/** True for a named port (as opposed to a number or range). */
export function isNamedPort(port: Port): port is { readonly portName: string } {
  return 'portName' in port;
}
