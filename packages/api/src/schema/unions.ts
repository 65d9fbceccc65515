/**
 * Schema types for Calico's number-or-string unions and Go durations (resources.md §1.5).
 * Decoding canonicalises them the way Go's round trip does: `"80"` becomes `80`, `"6"` as a
 * protocol becomes `6`, `"1.10"` as an AS number becomes `65546`, `"90s"` becomes `"1m30s"`.
 * @module
 */
import { parseDSCP, type DSCP } from '../numorstring/dscp.ts';
import { parseASNumber } from '../numorstring/as-number.ts';
import { formatPort, parsePort, portFromString } from '../numorstring/port.ts';
import { parseProtocol, protocolProblem, type Protocol } from '../numorstring/protocol.ts';
import { formatGoDuration, parseGoDuration } from './go-duration.ts';
import type { DecodeContext, Issue, Path, ValueType } from './types.ts';

function decodeWith<T>(parse: (raw: unknown) => T, raw: unknown, path: Path, cx: DecodeContext): T | undefined {
  try {
    return parse(raw);
  } catch (err) {
    cx.issues.push({ path, value: raw, reason: (err as Error).message });
    return undefined;
  }
}

/**
 * An extra validation for a union value: returns why it is invalid (optionally with the value to
 * show, e.g. the offending bound of a port range), or undefined.
 */
export type ValueCheck<T> = (value: T) => string | { readonly reason: string; readonly value: unknown } | undefined;

function unionType<T>(description: string, typeName: string | undefined, parse: (raw: unknown) => T,
  canonical: (value: T) => T, zero: unknown, zeroIsEmpty: boolean, checks: readonly ValueCheck<T>[]): ValueType<T> {
  return {
    description,
    ...(typeName ? { typeName } : {}),
    zeroIsEmpty,
    decode: (raw, path, cx) => decodeWith(parse, raw, path, cx),
    encode: canonical,
    zero: () => zero,
    isEmpty: (v) => zeroIsEmpty && v === zero,
    isZero: (v) => v === zero,
    check(value: T, path: Path, issues: Issue[]) {
      for (const check of checks) {
        const problem = check(value);
        if (typeof problem === 'string') issues.push({ path, value, reason: problem });
        else if (problem !== undefined) issues.push({ path, ...problem });
      }
    },
    withDefaults: (v) => v,
  };
}

/** Re-canonicalises a union value that may have been built by code rather than decoded. */
function recanonical<T>(parse: (raw: unknown) => T): (value: T) => T {
  return (value) => {
    try {
      return parse(value);
    } catch {
      return value;
    }
  };
}

const canonicalPort = (raw: unknown): number | string => formatPort(parsePort(raw));

/** `numorstring.Port`; extra checks (range 1–65535, port-name rule) come from the caller. */
export function port(...checks: ValueCheck<number | string>[]): ValueType<number | string> {
  // A Go struct: omitempty never drops it, and its zero value is written as 0.
  return unionType('port (number or string)', 'Port', canonicalPort, recanonical(canonicalPort), 0, false, checks);
}

/** Parses a canonical port value back into its parts (for rules that look at ranges). */
export const portParts = (value: number | string) => (typeof value === 'number' ? { minPort: value, maxPort: value } : portFromString(value));

/** `numorstring.Protocol`, validated as Calico does (1–255 or one of the known names). */
export function protocol(...checks: ValueCheck<Protocol>[]): ValueType<Protocol> {
  return unionType('protocol (number or string)', 'Protocol', parseProtocol, recanonical(parseProtocol), 0, false, [protocolProblem, ...checks]);
}

/** `numorstring.DSCP`. Calico does not validate it where WorkloadEndpoints use it; pass `dscpProblem` where it does. */
export function dscp(...checks: ValueCheck<DSCP>[]): ValueType<DSCP> {
  return unionType('DSCP (number or string)', 'DSCP', parseDSCP, recanonical(parseDSCP), 0, false, checks);
}

/** `numorstring.ASNumber`: a uint32 (so `omitempty` drops 0), decoded from number, decimal or dotted text. */
export function asNumber(...checks: ValueCheck<number>[]): ValueType<number> {
  return unionType('AS number', 'ASNumber', parseASNumber, recanonical(parseASNumber), 0, true, checks);
}

const canonicalDuration = (raw: unknown): string => {
  if (typeof raw !== 'string') throw new TypeError(`a duration must be a string such as "10s", not ${raw === null ? 'null' : typeof raw}`);
  return formatGoDuration(parseGoDuration(raw));
};

/** `metav1.Duration`: Go duration text, written back in `Duration.String()` form. */
export function duration(...checks: ValueCheck<string>[]): ValueType<string> {
  // metav1.Duration is a struct, so omitempty never drops it; fields use it through pointers.
  return unionType('duration', 'Duration', canonicalDuration, recanonical(canonicalDuration), '0s', false, checks);
}
