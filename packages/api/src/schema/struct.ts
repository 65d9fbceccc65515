/**
 * Go structs as schema types. A struct lists its members in Go declaration order with their
 * JSON names and `encoding/json` behaviour (`omitempty`, no tag, pointer, `omitzero`), optional
 * CRD defaults and required-ness, plus struct-level rules (Go struct validators and CEL rules).
 * @module
 */
import { isJSONObject, wrongType, type Path, type Report, type ValueType } from './types.ts';

/**
 * How a member is written, following its Go type and tag:
 * - `omitempty`: a value type with `omitempty` — dropped when empty (structs never are);
 * - `always`: a value type without `omitempty` — written even when zero;
 * - `pointer`: a pointer with `omitempty` — dropped only when absent (`0`, `""`, `{}` are written);
 * - `omitzero`: `omitzero` — dropped when equal to the zero value.
 */
export type Presence = 'omitempty' | 'always' | 'pointer' | 'omitzero';

/** One struct member: its type and how Go treats it. */
export interface FieldSpec<T> {
  readonly type: ValueType<T>;
  readonly presence: Presence;
  /** CRD schema default, applied when the member would not be written. */
  readonly default?: T;
  /** When set, an absent or empty value is an error with this reason. */
  readonly required?: string;
}

/** A member declaration: a bare type (`omitempty`) or a full spec. */
export type FieldLike<T> = ValueType<T> | FieldSpec<T>;

/** The member spec of a declaration (a bare type is an `omitempty` member). */
export function asField<T>(f: FieldLike<T>): FieldSpec<T> {
  return 'presence' in f ? f : { type: f, presence: 'omitempty' };
}

/** A pointer member with `omitempty` (`*int`, `*float64`, `*ICMPFields` …). */
export function pointer<T>(type: ValueType<T>): FieldSpec<T> {
  return { type, presence: 'pointer' };
}

/** A value member without `omitempty`: always written, as its zero value when absent. */
export function always<T>(type: ValueType<T>): FieldSpec<T> {
  return { type, presence: 'always' };
}

/** A member tagged `omitzero`: dropped when it equals Go's zero value. */
export function omitzero<T>(type: ValueType<T>): FieldSpec<T> {
  return { type, presence: 'omitzero' };
}

/** Adds a CRD schema default to a member. */
export function defaulted<T>(field: FieldLike<T>, value: T): FieldSpec<T> {
  return { ...asField(field), default: value };
}

/** Makes an absent or empty member an error (`Required value` unless another reason is given). */
export function required<T>(field: FieldLike<T>, reason = 'Required value'): FieldSpec<T> {
  return { ...asField(field), required: reason };
}

/** Member declarations, in Go order, keyed by JSON name. */
export type Fields = Readonly<Record<string, FieldLike<never> | FieldLike<unknown>>>;

type ValueOf<F> = F extends FieldSpec<infer T> ? T : F extends ValueType<infer T> ? T : never;

/** The decoded value of a struct: every member optional (absent = Go zero value). */
export type StructValue<F extends Fields> = { -readonly [K in keyof F]?: ValueOf<F[K]> };

/** A struct-level rule: a Go struct validator or a CEL rule; reports paths relative to the struct. */
export type StructRule<V> = (value: V, report: Report) => void;

/** A struct schema type, with its member list available to other schema code. */
export interface StructType<V> extends ValueType<V> {
  readonly fields: Readonly<Record<string, FieldSpec<unknown>>>;
}

/** Reason text for a member the schema does not know (calicoctl's wording). */
export function unknownFieldReason(name: string): string {
  return `field in document is not recognized or is in the wrong location: ${name}`;
}

/** Whether Go writes a member with this value (`undefined` = absent = zero value). */
export function isWritten(field: FieldSpec<unknown>, value: unknown): boolean {
  const t = field.type;
  switch (field.presence) {
    case 'always': return true;
    case 'pointer': return value !== undefined;
    case 'omitzero': return value !== undefined && !t.isZero(value);
    case 'omitempty': return value === undefined ? !t.zeroIsEmpty : !t.isEmpty(value);
  }
}

/** True when a member holds Go's zero value (absent, or zero for value types; pointers only when absent). */
export function isZeroMember(field: FieldSpec<unknown>, value: unknown): boolean {
  return value === undefined || (field.presence !== 'pointer' && field.type.isZero(value));
}

/**
 * A Go struct. `fields` must list members in Go declaration order; `rules` run after the
 * members' own checks, on the decoded value.
 */
export function struct<F extends Fields>(typeName: string, fields: F,
  options: { readonly rules?: readonly StructRule<StructValue<F>>[] } = {}): StructType<StructValue<F>> {
  type V = StructValue<F>;
  // No prototype: a member named `valueOf` or `constructor` in the input must not find Object.prototype's.
  const specs: Record<string, FieldSpec<unknown>> = Object.create(null) as Record<string, FieldSpec<unknown>>;
  for (const [name, f] of Object.entries(fields)) specs[name] = asField(f as FieldLike<unknown>);
  const entries = Object.entries(specs);
  const rules = options.rules ?? [];

  // Parallel arrays: encode runs for every struct of every resource listed or stored.
  const names = entries.map(([name]) => name);
  const fieldList = entries.map(([, field]) => field);
  const encode = (value: V): Record<string, unknown> => {
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let known = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const field = fieldList[i]!;
      const v = src[name];
      if (v !== undefined) known++;
      if (!isWritten(field, v)) continue;
      out[name] = v === undefined ? field.type.zero() : field.type.encode(v);
    }
    // Members Percale does not know (kept by a tolerant decode) follow the known ones, unchanged.
    const srcNames = Object.keys(src);
    if (srcNames.length > known) {
      for (const name of srcNames) if (!(name in specs) && src[name] !== undefined) out[name] = src[name];
    }
    return out;
  };

  return {
    description: typeName,
    typeName,
    zeroIsEmpty: false,
    fields: specs,
    parts: entries.map(([, f]) => f.type),
    decode(raw, path, cx) {
      if (!isJSONObject(raw)) return wrongType(cx, path, `object (${typeName})`, raw);
      const before = cx.issues.length;
      const out: Record<string, unknown> = {};
      for (const [name, element] of Object.entries(raw)) {
        const field = specs[name];
        if (!field) {
          if (cx.unknownFields === 'keep') out[name] = element;
          else cx.issues.push({ path: [...path, name], reason: unknownFieldReason(name) });
          continue;
        }
        if (element === null) continue; // Go leaves the member at its zero value.
        const v = field.type.decode(element, [...path, name], cx);
        if (v !== undefined) out[name] = v;
      }
      return cx.issues.length === before ? (out as V) : undefined;
    },
    encode,
    zero: () => encode({} as V),
    isEmpty: () => false,
    isZero(value) {
      const src = value as Record<string, unknown>;
      return entries.every(([name, field]) => isZeroMember(field, src[name]));
    },
    check(value, path, issues) {
      const src = value as Record<string, unknown>;
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        const field = fieldList[i]!;
        const v = src[name];
        const empty = v === undefined || (field.presence !== 'pointer' && field.type.zeroIsEmpty && field.type.isEmpty(v));
        if (empty) {
          if (field.required !== undefined) issues.push({ path: [...path, name], reason: field.required, ...(v === undefined ? {} : { value: v }) });
          continue;
        }
        field.type.check(v, [...path, name], issues);
      }
      if (rules.length === 0) return;
      const report: Report = (at: Path, reason: string, v?: unknown) => {
        issues.push(v === undefined ? { path: [...path, ...at], reason } : { path: [...path, ...at], reason, value: v });
      };
      for (const rule of rules) rule(value, report);
    },
    withDefaults(value) {
      if (!isJSONObject(value)) return value; // not decoded yet: validation will report it
      const src = value as Record<string, unknown>;
      let out: Record<string, unknown> | undefined;
      const set = (name: string, v: unknown) => {
        out ??= { ...src };
        out[name] = v;
      };
      for (const [name, field] of entries) {
        const v = src[name];
        if (!isWritten(field, v)) {
          if (field.default !== undefined) set(name, field.default);
          continue;
        }
        // A struct member Go writes as `{}` when absent still receives its nested defaults.
        const current = v ?? ('fields' in field.type ? {} : undefined);
        if (current === undefined) continue;
        const next = field.type.withDefaults(current);
        if (next !== current || (v === undefined && Object.keys(next as object).length > 0)) set(name, next);
      }
      return (out ?? value) as V;
    },
  };
}

