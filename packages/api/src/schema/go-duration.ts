/**
 * Go's `time.Duration` text form, which Calico uses for every duration field: parsing as
 * `time.ParseDuration` does and printing as `Duration.String()` does, so stored values keep
 * Go's exact spelling (`90s` is written back as `1m30s`).
 * @module
 */

const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n,
  s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX = (1n << 63n) - 1n;
const COMPONENT = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/;

/**
 * Parses Go duration text (`"1h30m"`, `"1.5s"`, `"-1ns"`, `"0"`) to nanoseconds.
 * @throws {SyntaxError} for text Go rejects, {RangeError} when the value overflows int64.
 */
export function parseGoDuration(text: string): bigint {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw new SyntaxError(`invalid duration ${JSON.stringify(text)}`);
  let total = 0n;
  while (rest !== '') {
    const m = COMPONENT.exec(rest);
    const unit = m ? UNITS[m[3]!] : undefined;
    if (!m || unit === undefined || (m[1] === '' && (m[2] ?? '') === '')) {
      throw new SyntaxError(`invalid duration ${JSON.stringify(text)}`);
    }
    const fraction = m[2] ?? '';
    let value = BigInt(m[1] || '0') * unit;
    if (fraction !== '') value += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    total += value;
    if (total > MAX + (negative ? 1n : 0n)) throw new RangeError(`invalid duration ${JSON.stringify(text)}: out of range`);
    rest = rest.slice(m[0].length);
  }
  return negative ? -total : total;
}

function fraction(value: bigint, digits: number): [string, bigint] {
  let text = '';
  let v = value;
  let printing = false;
  for (let i = 0; i < digits; i++) {
    const digit = v % 10n;
    printing ||= digit !== 0n;
    if (printing) text = digit.toString() + text;
    v /= 10n;
  }
  return [printing ? `.${text}` : '', v];
}

/** Formats nanoseconds as Go's `Duration.String()`: `"0s"`, `"1.5ms"`, `"1m30s"`, `"2h0m0s"`. */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const sign = nanos < 0n ? '-' : '';
  const u = nanos < 0n ? -nanos : nanos;
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    const [digits, unit] = u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [frac, whole] = fraction(u, digits);
    return `${sign}${whole}${frac}${unit}`;
  }
  const [frac, seconds] = fraction(u, 9);
  let text = `${seconds % 60n}${frac}s`;
  const minutes = seconds / 60n;
  if (minutes > 0n) {
    text = `${minutes % 60n}m${text}`;
    const hours = minutes / 60n;
    if (hours > 0n) text = `${hours}h${text}`;
  }
  return sign + text;
}
