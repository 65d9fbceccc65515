/**
 * The graph's compact label maps and the selector matcher that reads them. A `LabelSet` is one
 * flat array of strings (`[k0, v0, k1, v1, …]`): for 100k endpoints with ~10 labels each
 * this holds in ~50 MB what the JSON objects from the datastore hold in ~100 MB (each of
 * those has its own hidden class, since security-group label keys differ per port).
 * Matchers are compiled from `@percale/api`'s selector tree with Calico's semantics
 * (selectors.md §3); property tests keep them equal to the API's own matcher.
 * @module
 */
import type { Selector, SelectorNode } from '@percale/api';

/** An immutable label map: `[k0, v0, k1, v1, …]`, keys unique, in stored order. */
export type LabelSet = readonly string[];

/** A compiled selector over label sets. */
export type LabelSetMatcher = (labels: LabelSet) => boolean;

/** The empty label set. */
export const EMPTY_LABEL_SET: LabelSet = Object.freeze([]);

// Kubernetes qualified names (`prefix/name`, lengths checked apart), the rule Calico validates
// label names with (resources.md §1.4).
const LABEL_NAME = /^(?:([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

// Label names repeat across every endpoint: remember the valid ones (bounded, as names come
// and go over an agent's life).
const NAME_CACHE_LIMIT = 100_000;
const validNames = new Set<string>();

/** True for a valid label name (a Kubernetes qualified name). */
export function isValidLabelName(key: string): boolean {
  if (validNames.has(key)) return true;
  const m = LABEL_NAME.exec(key);
  if (m === null || m[2]!.length > 63 || (m[1] !== undefined && m[1].length > 253)) return false;
  if (validNames.size >= NAME_CACHE_LIMIT) validNames.clear();
  validNames.add(key);
  return true;
}

function alphanumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True for a valid label value: empty, or ≤ 63 of `[-A-Za-z0-9_.]` starting and ending alphanumeric. */
export function isValidLabelValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  if (n > 63 || !alphanumeric(value.charCodeAt(0)) || !alphanumeric(value.charCodeAt(n - 1))) return false;
  for (let i = 1; i < n - 1; i++) {
    const c = value.charCodeAt(i);
    if (!alphanumeric(c) && c !== 45 && c !== 46 && c !== 95) return false;
  }
  return true;
}

const SERVICE_ACCOUNT_LABEL = 'projectcalico.org/serviceaccount';

function reserved(key: string): boolean {
  return key.startsWith('pcns.') || key.startsWith('pcsa.');
}

/**
 * Reads a stored label map into a label set, checking every name and value: undefined if any
 * is invalid. This is the only pass over an endpoint's labels, a large share of a snapshot's
 * work at 100k endpoints. For a WorkloadEndpoint (`workload`), user labels under the reserved
 * `pcns.`/`pcsa.` prefixes are dropped and `serviceAccount` becomes the service-account label.
 * Values are kept as the datastore delivered them: interning them (sharing equal values) would
 * save ~30 MB at 100k endpoints but cost a hash lookup per label, more than reading the label.
 */
export function readLabelSet(labels: unknown, workload = false, serviceAccount?: string): LabelSet | undefined {
  if (labels === undefined || labels === null) return EMPTY_LABEL_SET;
  if (typeof labels !== 'object' || Array.isArray(labels)) return undefined;
  // Keys and values in two builtin calls: reading each value by key would be a megamorphic
  // property load per label (every port's label object has its own hidden class).
  const keys = Object.keys(labels);
  const values = Object.values(labels as Record<string, unknown>);
  const addServiceAccount = workload && serviceAccount !== undefined;
  // Sized exactly: a grown array would keep spare capacity for the endpoint's lifetime.
  const out = new Array<string>(2 * keys.length + (addServiceAccount ? 2 : 0));
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (workload && (reserved(key) || (addServiceAccount && key === SERVICE_ACCOUNT_LABEL))) continue;
    const value = values[i];
    if (typeof value !== 'string' || !isValidLabelName(key) || !isValidLabelValue(value)) return undefined;
    out[n++] = key;
    out[n++] = value;
  }
  // Calico adds the service account even when it is too long for a label value.
  if (addServiceAccount) {
    out[n++] = SERVICE_ACCOUNT_LABEL;
    out[n++] = serviceAccount;
  }
  if (n === 0) return EMPTY_LABEL_SET;
  out.length = n;
  return out;
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
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (i === a.length) return true;
  // The same labels in another order (writers normally keep theirs, so this is rare). Keys are
  // unique and the lengths equal, so "every label of a is in b" means equal.
  for (let j = 0; j < a.length; j += 2) if (labelValue(b, a[j]!) !== a[j + 1]) return false;
  return true;
}

/**
 * `own` with each label it lacks taken from the first of `parents` that has it. Returns `own`
 * itself when nothing is inherited.
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
  const out = own.slice();
  for (const [key, value] of merged) out.push(key, value);
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
