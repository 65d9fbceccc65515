/**
 * The graph's compact label maps and the selector matcher that reads them. A `LabelSet` is one
 * flat, sorted array of interned strings (`[k0, v0, k1, v1, …]`): for 100k endpoints with ~10
 * labels each this holds in ~20 MB what the JSON objects from the datastore hold in ~100 MB
 * (each of those has its own hidden class, since security-group label keys differ per port).
 * Matchers are compiled from `@percale/api`'s selector tree with Calico's semantics
 * (selectors.md §3); property tests keep them equal to the API's own matcher.
 * @module
 */
import type { Labels, Selector, SelectorNode } from '@percale/api';

/** An immutable label map: `[k0, v0, k1, v1, …]`, keys unique and sorted, values interned. */
export type LabelSet = readonly string[];

/** A compiled selector over label sets. */
export type LabelSetMatcher = (labels: LabelSet) => boolean;

/** The empty label set. */
export const EMPTY_LABEL_SET: LabelSet = Object.freeze([]);

/**
 * Reference-counted interning of label values: equal values across endpoints share one copy,
 * and a value is forgotten when the last label set using it is released. Keys need none: keys
 * of parsed JSON and object literals are already shared, internalized strings in V8.
 */
export class StringInterner {
  readonly #table = new Map<string, { readonly s: string; n: number }>();

  /** The shared copy of `s`, counting one more reference. */
  intern(s: string): string {
    const entry = this.#table.get(s);
    if (entry !== undefined) {
      entry.n++;
      return entry.s;
    }
    this.#table.set(s, { s, n: 1 });
    return s;
  }

  /** Drops one reference. */
  release(s: string): void {
    const entry = this.#table.get(s);
    if (entry !== undefined && --entry.n === 0) this.#table.delete(s);
  }

  /** Number of distinct strings held. */
  get size(): number {
    return this.#table.size;
  }

  /** Builds a label set from a plain map, interning its values. */
  labelSet(labels: Labels): LabelSet {
    const keys = Object.keys(labels);
    if (keys.length === 0) return EMPTY_LABEL_SET;
    keys.sort();
    const out = new Array<string>(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      out[2 * i] = key;
      out[2 * i + 1] = this.intern(labels[key]!);
    }
    return out;
  }

  /** Takes a reference to every value of a set built elsewhere (e.g. by `mergeLabelSets`). */
  retain(set: LabelSet): void {
    for (let i = 1; i < set.length; i += 2) this.intern(set[i]!);
  }

  /** Releases every value of a label set. */
  releaseAll(set: LabelSet): void {
    for (let i = 1; i < set.length; i += 2) this.release(set[i]!);
  }
}

/** The value of `key` in the set, or undefined. */
export function labelValue(set: LabelSet, key: string): string | undefined {
  for (let i = 0; i < set.length; i += 2) if (set[i] === key) return set[i + 1];
  return undefined;
}

/** True if both sets hold the same labels. */
export function sameLabelSets(a: LabelSet, b: LabelSet): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `own` with each label it lacks taken from the first of `parents` that has it. Returns `own`
 * itself when nothing is inherited. The result's strings are not retained.
 */
export function mergeLabelSets(own: LabelSet, parents: readonly LabelSet[]): LabelSet {
  let merged: Map<string, string> | undefined;
  for (const parent of parents) {
    for (let i = 0; i < parent.length; i += 2) {
      const key = parent[i]!;
      if (labelValue(own, key) !== undefined || merged?.has(key)) continue;
      merged ??= new Map();
      merged.set(key, parent[i + 1]!);
    }
  }
  if (merged === undefined) return own;
  for (let i = 0; i < own.length; i += 2) merged.set(own[i]!, own[i + 1]!);
  const keys = [...merged.keys()].sort();
  const out = new Array<string>(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    out[2 * i] = keys[i]!;
    out[2 * i + 1] = merged.get(keys[i]!)!;
  }
  return out;
}

/** The label set as a plain map (for tests and diagnostics). */
export function labelSetToRecord(set: LabelSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < set.length; i += 2) out[set[i]!] = set[i + 1]!;
  return out;
}

// V8 stores property names as internalized strings, and the keys JSON.parse produces are
// internalized too: giving the matcher the engine's shared copy of each label name makes a
// key comparison a pointer test instead of a character compare. (Security-group label keys
// all share a 31-character prefix and length, so character compares are not cheap.) A
// dictionary-mode object (null prototype) is used so no hidden classes are created.
function internalized(s: string): string {
  const o = Object.create(null) as Record<string, number>;
  o[s] = 0;
  return Object.keys(o)[0] ?? s;
}

const always: LabelSetMatcher = () => true;
const never: LabelSetMatcher = () => false;

// Index of the value of `key`, or -1.
function find(set: LabelSet, key: string): number {
  for (let i = 0; i < set.length; i += 2) if (set[i] === key) return i + 1;
  return -1;
}

function compileIn(key: string, values: readonly string[]): LabelSetMatcher {
  if (values.length === 0) return never;
  if (values.length === 1) {
    const v = values[0];
    return (l) => {
      const i = find(l, key);
      return i >= 0 && l[i] === v;
    };
  }
  const set = new Set(values);
  return (l) => {
    const i = find(l, key);
    return i >= 0 && set.has(l[i]!);
  };
}

function compile(node: SelectorNode): LabelSetMatcher {
  switch (node.type) {
    case 'all':
    case 'global':
      return always;
    case 'has': {
      const k = internalized(node.label);
      return (l) => find(l, k) >= 0;
    }
    case 'eq': {
      const k = internalized(node.label);
      const v = node.value;
      return (l) => {
        const i = find(l, k);
        return i >= 0 && l[i] === v;
      };
    }
    case 'ne': {
      const k = internalized(node.label);
      const v = node.value;
      return (l) => {
        const i = find(l, k);
        return i < 0 || l[i] !== v;
      };
    }
    case 'contains':
    case 'startsWith':
    case 'endsWith': {
      const k = internalized(node.label);
      const v = node.value;
      const test = node.type === 'contains' ? (x: string) => x.includes(v)
        : node.type === 'startsWith' ? (x: string) => x.startsWith(v) : (x: string) => x.endsWith(v);
      return (l) => {
        const i = find(l, k);
        return i >= 0 && test(l[i]!);
      };
    }
    case 'in':
      return compileIn(internalized(node.label), node.values);
    case 'notIn': {
      const inSet = compileIn(internalized(node.label), node.values);
      return (l) => !inSet(l);
    }
    case 'not': {
      const operand = compile(node.operand);
      return (l) => !operand(l);
    }
    case 'and': {
      const ops = node.operands.map(compile);
      if (ops.length === 2) {
        const [a, b] = ops as [LabelSetMatcher, LabelSetMatcher];
        return (l) => a(l) && b(l);
      }
      return (l) => {
        for (const op of ops) if (!op(l)) return false;
        return true;
      };
    }
    case 'or': {
      const ops = node.operands.map(compile);
      if (ops.length === 2) {
        const [a, b] = ops as [LabelSetMatcher, LabelSetMatcher];
        return (l) => a(l) || b(l);
      }
      return (l) => {
        for (const op of ops) if (op(l)) return true;
        return false;
      };
    }
  }
}

const compiled = new WeakMap<Selector, LabelSetMatcher>();

/** The selector compiled to a matcher over label sets (cached per selector object). */
export function labelSetMatcher(selector: Selector): LabelSetMatcher {
  let m = compiled.get(selector);
  if (m === undefined) {
    m = compile(selector.root);
    compiled.set(selector, m);
  }
  return m;
}
