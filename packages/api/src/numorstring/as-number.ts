/**
 * Calico's `numorstring.ASNumber`: a 32-bit BGP AS number, written as a number, a decimal
 * string or the dotted `<high>.<low>` form (`"1.10"` is 65546). Always written back as a number.
 * @module
 */

const DECIMAL = /^[0-9]+$/;

/**
 * Reads an AS number from its JSON value.
 * @throws {TypeError} for a value that is neither a number nor a string.
 * @throws {RangeError} for a number that is not an integer 0–4294967295.
 * @throws {SyntaxError} for a string that is neither decimal nor `<0-65535>.<0-65535>`.
 */
export function parseASNumber(json: unknown): number {
  if (typeof json === 'number') {
    if (!Number.isInteger(json) || json < 0 || json > 0xffffffff) {
      throw new RangeError(`invalid AS number ${json}: must be an integer between 0 and 4294967295`);
    }
    return json;
  }
  if (typeof json !== 'string') throw new TypeError(`an AS number must be a number or a string, not ${json === null ? 'null' : typeof json}`);
  if (DECIMAL.test(json) && Number(json) <= 0xffffffff) return Number(json);
  const parts = json.split('.');
  const [high, low] = parts;
  if (parts.length === 2 && DECIMAL.test(high!) && DECIMAL.test(low!) && Number(high) <= 0xffff && Number(low) <= 0xffff) {
    return Number(high) * 0x10000 + Number(low);
  }
  throw new SyntaxError(`invalid AS Number format (${json})`);
}
