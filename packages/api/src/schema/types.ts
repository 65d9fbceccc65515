/**
 * The contract every schema type implements. A `ValueType` describes one Go type of the v3 API
 * as JSON: how it is decoded (strictly, as calicoctl does), written back (as Go's encoding/json
 * does), defaulted (CRD defaults) and validated (field constraints and struct rules).
 * @module
 */

/** One step into a value: a struct field name, a list index or a map key. */
export type PathSegment = string | number | { readonly key: string };

/** Where a value sits inside the object being processed, outermost first. */
export type Path = readonly PathSegment[];

/** One problem found while decoding or validating, before it becomes a `FieldError`. */
export interface Issue {
  readonly path: Path;
  readonly reason: string;
  readonly value?: unknown;
}

/** Reports a problem at `path` (relative to the value a rule is looking at). */
export type Report = (path: Path, reason: string, value?: unknown) => void;

/** What to do with object members the schema does not declare. */
export type UnknownFields = 'reject' | 'keep';

/** State shared by one decode pass. */
export interface DecodeContext {
  readonly unknownFields: UnknownFields;
  readonly issues: Issue[];
}

/**
 * One JSON-level type. Decoded values are plain JSON in canonical form (what Go would hold and
 * write back: `"6"` as a protocol becomes `6`); absent members are `undefined`, never `null`.
 */
export interface ValueType<T> {
  /** How messages name the type: `string`, `integer`, `port`, `Rule`, … */
  readonly description: string;
  /** The Go type name of a named API type that can be validated on its own (`Rule`, `Protocol`). */
  readonly typeName?: string;
  /** False for Go structs: encoding/json's `omitempty` never drops them. */
  readonly zeroIsEmpty: boolean;
  /** Named types used inside this one, so fragments can be found by name. */
  readonly parts?: readonly ValueType<unknown>[];
  /** Reads a non-null JSON value; records issues and returns undefined when it cannot be used. */
  decode(raw: unknown, path: Path, cx: DecodeContext): T | undefined;
  /** The JSON Go writes for `value`: canonical scalars, struct members in Go order. */
  encode(value: T): unknown;
  /** The JSON Go writes for the type's zero value (for members without `omitempty`). */
  zero(): unknown;
  /** encoding/json's `omitempty` test for a present value. */
  isEmpty(value: T): boolean;
  /** True when `value` equals Go's zero value (`omitzero`; `[]` is not zero, an absent list is). */
  isZero(value: T): boolean;
  /** Validates a present value: constraints of the type, then struct rules; records issues. */
  check(value: T, path: Path, issues: Issue[]): void;
  /** Applies CRD schema defaults below this value; returns `value` itself when nothing changed. */
  withDefaults(value: T): T;
}

/** The JSON type name of a value, for messages. */
export function jsonTypeOf(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'array';
  return typeof raw;
}

/** Records a wrong-JSON-type issue. */
export function wrongType(cx: DecodeContext, path: Path, expected: string, raw: unknown): undefined {
  cx.issues.push({ path, reason: `expected ${expected}, got ${jsonTypeOf(raw)}`, value: raw });
  return undefined;
}

/** True for a JSON object (not an array, not null). */
export function isJSONObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/** Renders a path the way messages show it: `spec.ingress[0].ports[1]`, `metadata.labels["a/b"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'object') out += `[${JSON.stringify(seg.key)}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}
