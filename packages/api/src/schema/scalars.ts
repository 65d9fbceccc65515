/**
 * Scalar schema types: strings (with formats, enums and length limits), booleans, Go integer
 * types with their decode ranges and validation bounds, float64, and opaque JSON.
 * @module
 */
import { wrongType, type Issue, type Path, type ValueType } from './types.ts';

/** A format check: returns why the text is invalid, or undefined when it is fine. */
export type StringCheck = (text: string) => string | undefined;

/** Constraints on a string field (Go validate tags and CRD markers). */
export interface StringOptions {
  /** CRD `MaxLength`, in characters. */
  readonly maxLength?: number;
  /** CRD `Enum`: the only accepted values. */
  readonly enum?: readonly string[];
  /** Format checks, run in order; each may add one issue. */
  readonly check?: StringCheck | readonly StringCheck[];
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** Kubernetes' text for a value outside an enum. */
export function unsupportedValue(value: unknown, allowed: readonly unknown[]): string {
  return `Unsupported value: ${JSON.stringify(value)}: supported values: ${quoteList(allowed)}`;
}

/** A Go `string`. */
export function string(options: StringOptions = {}): ValueType<string> {
  const checks = options.check === undefined ? [] : typeof options.check === 'function' ? [options.check] : options.check;
  return {
    description: 'string',
    zeroIsEmpty: true,
    decode: (raw, path, cx) => (typeof raw === 'string' ? raw : wrongType(cx, path, 'string', raw)),
    encode: (v) => v,
    zero: () => '',
    isEmpty: (v) => v === '',
    isZero: (v) => v === '',
    check(value: string, path: Path, issues: Issue[]) {
      if (options.maxLength !== undefined && [...value].length > options.maxLength) {
        issues.push({ path, value, reason: `Too long: may not be more than ${options.maxLength} bytes` });
      }
      if (options.enum && !options.enum.includes(value)) {
        issues.push({ path, value, reason: unsupportedValue(value, options.enum) });
      }
      for (const check of checks) {
        const reason = check(value);
        if (reason !== undefined) issues.push({ path, value, reason });
      }
    },
    withDefaults: (v) => v,
  };
}

/** A Go string type restricted to fixed values (a CRD `Enum`), e.g. `Action`. */
export function enumOf<const V extends string>(values: readonly V[], options: Omit<StringOptions, 'enum'> = {}): ValueType<V> {
  return string({ ...options, enum: values }) as ValueType<V>;
}

/** A Go `bool`. */
export function bool(): ValueType<boolean> {
  return {
    description: 'boolean',
    zeroIsEmpty: true,
    decode: (raw, path, cx) => (typeof raw === 'boolean' ? raw : wrongType(cx, path, 'boolean', raw)),
    encode: (v) => v,
    zero: () => false,
    isEmpty: (v) => !v,
    isZero: (v) => !v,
    check: () => {},
    withDefaults: (v) => v,
  };
}

/** Go integer types and the values their JSON decoder accepts. */
const INT_RANGES = {
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
} as const;

/** Constraints on an integer field. */
export interface IntOptions {
  /** The Go type, which bounds what decodes at all (default `int`). */
  readonly go?: keyof typeof INT_RANGES;
  /** Validation bounds (validate `gte`/`lte`, CRD `Minimum`/`Maximum`). */
  readonly min?: number;
  readonly max?: number;
  /** CRD `Enum`. */
  readonly enum?: readonly number[];
}

/** A Go integer type. JSON numbers outside the Go type's range, or with a fraction, do not decode. */
export function int(options: IntOptions = {}): ValueType<number> {
  const go = options.go ?? 'int';
  const [lo, hi] = INT_RANGES[go];
  return {
    description: 'integer',
    zeroIsEmpty: true,
    decode(raw, path, cx) {
      if (typeof raw !== 'number') return wrongType(cx, path, 'integer', raw);
      if (!Number.isInteger(raw) || raw < lo || raw > hi) {
        cx.issues.push({ path, value: raw, reason: `cannot decode ${raw} into a ${go}: must be an integer between ${lo} and ${hi}` });
        return undefined;
      }
      return raw;
    },
    encode: (v) => v,
    zero: () => 0,
    isEmpty: (v) => v === 0,
    isZero: (v) => v === 0,
    check(value: number, path: Path, issues: Issue[]) {
      if (options.min !== undefined && value < options.min) issues.push({ path, value, reason: `should be greater than or equal to ${options.min}` });
      if (options.max !== undefined && value > options.max) issues.push({ path, value, reason: `should be less than or equal to ${options.max}` });
      if (options.enum && !options.enum.includes(value)) issues.push({ path, value, reason: unsupportedValue(value, options.enum) });
    },
    withDefaults: (v) => v,
  };
}

/** A Go `float64`. */
export function float(): ValueType<number> {
  return {
    description: 'number',
    zeroIsEmpty: true,
    decode: (raw, path, cx) => (typeof raw === 'number' ? raw : wrongType(cx, path, 'number', raw)),
    encode: (v) => v,
    zero: () => 0,
    isEmpty: (v) => v === 0,
    isZero: (v) => v === 0,
    check: () => {},
    withDefaults: (v) => v,
  };
}

/** Any JSON, kept as written (Go `json.RawMessage`, `FieldsV1`); decoded without checks. */
export function raw(): ValueType<unknown> {
  return {
    description: 'JSON value',
    zeroIsEmpty: true,
    decode: (value) => value,
    encode: (v) => v,
    zero: () => null,
    isEmpty: (v) => v === undefined,
    isZero: (v) => v === undefined,
    check: () => {},
    withDefaults: (v) => v,
  };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A Kubernetes `metav1.Time`: RFC 3339 text, written back as Go does — UTC, whole seconds, `Z`
 * (so `2024-05-01T14:00:00+02:00` is stored as `2024-05-01T12:00:00Z`). Its zero value is `null`.
 */
export function time(): ValueType<string> {
  return {
    description: 'RFC 3339 timestamp',
    zeroIsEmpty: false,
    decode(raw, path, cx) {
      if (typeof raw !== 'string') return wrongType(cx, path, 'RFC 3339 timestamp string', raw);
      const ms = RFC3339.test(raw) ? Date.parse(raw) : NaN;
      if (Number.isNaN(ms)) {
        cx.issues.push({ path, value: raw, reason: 'invalid timestamp: must be RFC 3339, e.g. 2024-05-01T12:00:00Z' });
        return undefined;
      }
      return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    },
    encode: (v) => v,
    zero: () => null,
    isEmpty: () => false,
    isZero: () => false,
    check: () => {},
    withDefaults: (v) => v,
  };
}
