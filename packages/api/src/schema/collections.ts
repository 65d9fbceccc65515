/**
 * Collection schema types: Go slices (`list`) and `map[string]…` (`map`). Maps are written with
 * their keys in byte order, as Go's encoder does.
 * @module
 */
import { unsupportedValue, type StringCheck } from './scalars.ts';
import { isJSONObject, wrongType, type Issue, type Path, type ValueType } from './types.ts';

/** Constraints on a list (CRD `MinItems`/`MaxItems`, validate `unique`). */
export interface ListOptions {
  readonly minItems?: number;
  readonly maxItems?: number;
  /** Duplicate items are an error (Go `unique` tag). */
  readonly unique?: boolean;
}

/** A Go slice. The zero value (an absent list) is written as `null`; `omitempty` drops `[]` too. */
export function list<T>(item: ValueType<T>, options: ListOptions = {}): ValueType<T[]> {
  return {
    description: `list of ${item.description}`,
    zeroIsEmpty: true,
    parts: [item as ValueType<unknown>],
    decode(raw, path, cx) {
      if (!Array.isArray(raw)) return wrongType(cx, path, `list of ${item.description}`, raw);
      const before = cx.issues.length;
      const out: T[] = [];
      raw.forEach((element: unknown, i) => {
        // Go would read null as the item's zero value; nothing Calico writes has one, so it is refused.
        const v = element === null ? wrongType(cx, [...path, i], item.description, element) : item.decode(element, [...path, i], cx);
        if (v !== undefined) out.push(v);
      });
      return cx.issues.length === before ? out : undefined;
    },
    encode: (v) => v.map((x) => item.encode(x)),
    zero: () => null,
    isEmpty: (v) => v.length === 0,
    isZero: () => false,
    check(value: T[], path: Path, issues: Issue[]) {
      if (options.maxItems !== undefined && value.length > options.maxItems) {
        issues.push({ path, reason: `Too many: ${value.length}: must have at most ${options.maxItems} items` });
      }
      if (options.minItems !== undefined && value.length < options.minItems) {
        issues.push({ path, reason: `should have at least ${options.minItems} items` });
      }
      const seen = new Set<string>();
      value.forEach((v, i) => {
        if (options.unique) {
          const key = JSON.stringify(v);
          if (seen.has(key)) issues.push({ path: [...path, i], value: v, reason: `Duplicate value: ${key}` });
          seen.add(key);
        }
        item.check(v, [...path, i], issues);
      });
    },
    withDefaults(value) {
      if (!Array.isArray(value)) return value; // not decoded yet: validation will report it
      const out = value.map((v) => item.withDefaults(v));
      return out.some((v, i) => v !== value[i]) ? out : value;
    },
  };
}

/**
 * Compares strings by Unicode code point, which is UTF-8 byte order (how Go sorts map keys).
 * UTF-16 code-unit order agrees with code-point order except where a surrogate (part of a
 * character at or above U+10000) meets a unit in U+E000–U+FFFF, so code units are compared
 * directly and only a difference involving a surrogate is settled by code point.
 */
export function compareBytewise(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x & 0xf800) !== 0xd800 && (y & 0xf800) !== 0xd800) return x - y;
    // If either string's differing unit ends a surrogate pair, compare from the pair's start.
    const pairEnds = i > 0 && (a.charCodeAt(i - 1) & 0xfc00) === 0xd800 && ((x & 0xfc00) === 0xdc00 || (y & 0xfc00) === 0xdc00);
    const at = pairEnds ? i - 1 : i;
    return a.codePointAt(at)! - b.codePointAt(at)!;
  }
  return a.length - b.length;
}

/** Constraints on a map's keys and values. */
export interface MapOptions {
  /** Checks each key; issues are reported at the key's path. */
  readonly key?: StringCheck;
  /** Allowed keys (a closed set, e.g. the log-level map of some Felix fields). */
  readonly keys?: readonly string[];
}

/** A Go `map[string]V`. */
export function map<V>(value: ValueType<V>, options: MapOptions = {}): ValueType<Record<string, V>> {
  return {
    description: `map of ${value.description}`,
    zeroIsEmpty: true,
    parts: [value as ValueType<unknown>],
    decode(raw, path, cx) {
      if (!isJSONObject(raw)) return wrongType(cx, path, `object (map of ${value.description})`, raw);
      const before = cx.issues.length;
      const out: Record<string, V> = {};
      for (const [k, element] of Object.entries(raw)) {
        const at: Path = [...path, { key: k }];
        const v = element === null ? wrongType(cx, at, value.description, element) : value.decode(element, at, cx);
        if (v !== undefined) out[k] = v;
      }
      return cx.issues.length === before ? out : undefined;
    },
    encode(v) {
      const keys = Object.keys(v);
      // Stored maps were written sorted, so check before sorting.
      for (let i = 1; i < keys.length; i++) {
        if (compareBytewise(keys[i - 1]!, keys[i]!) > 0) {
          keys.sort(compareBytewise);
          break;
        }
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = value.encode(v[k]!);
      return out;
    },
    zero: () => null,
    isEmpty: (v) => Object.keys(v).length === 0,
    isZero: () => false,
    check(v: Record<string, V>, path: Path, issues: Issue[]) {
      for (const [k, element] of Object.entries(v)) {
        const at: Path = [...path, { key: k }];
        if (options.keys && !options.keys.includes(k)) issues.push({ path: at, value: k, reason: unsupportedValue(k, options.keys) });
        const reason = options.key?.(k);
        if (reason !== undefined) issues.push({ path: at, value: k, reason });
        value.check(element, at, issues);
      }
    },
    withDefaults(v) {
      if (!isJSONObject(v)) return v;
      let changed = false;
      const out: Record<string, V> = {};
      for (const [k, element] of Object.entries(v)) {
        out[k] = value.withDefaults(element);
        changed ||= out[k] !== element;
      }
      return changed ? out : v;
    },
  };
}
