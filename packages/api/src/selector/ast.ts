/**
 * The selector syntax tree the parser builds and every later stage (canonical rendering,
 * compilation to a matcher, label prefixing, label restrictions) reads. Nodes are plain,
 * frozen data with a `type` discriminator; AND/OR are n-ary, and set operands are kept sorted
 * and de-duplicated, as Calico keeps them.
 * @module
 */

/** `all()`: matches everything. The empty selector parses to this node too. */
export interface AllNode { readonly type: 'all' }

/** `global()`: matches everything as a plain selector; only a rule's namespaceSelector gives it meaning. */
export interface GlobalNode { readonly type: 'global' }

/** `has(label)`: the label is present, with any value (including ""). */
export interface HasNode { readonly type: 'has'; readonly label: string }

/** Operators that compare a label's value with one string literal. */
export type ValueOperator = 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith';

/** `label == "v"`, `label != "v"`, `label contains "v"`, `label starts with "v"`, `label ends with "v"`. */
export interface ValueNode { readonly type: ValueOperator; readonly label: string; readonly value: string }

/** `label in {…}` / `label not in {…}`; `values` is sorted (by code point, i.e. UTF-8 byte order) and de-duplicated. */
export interface SetNode { readonly type: 'in' | 'notIn'; readonly label: string; readonly values: readonly string[] }

/** `!operand`. The parser collapses runs of `!` by parity, but `!(!x)` keeps both nodes (as Calico does). */
export interface NotNode { readonly type: 'not'; readonly operand: SelectorNode }

/** `a && b && …` with at least two operands; a parenthesised group stays a nested node. */
export interface AndNode { readonly type: 'and'; readonly operands: readonly SelectorNode[] }

/** `a || b || …` with at least two operands. */
export interface OrNode { readonly type: 'or'; readonly operands: readonly SelectorNode[] }

/** Any node of a parsed selector. */
export type SelectorNode = AllNode | GlobalNode | HasNode | ValueNode | SetNode | NotNode | AndNode | OrNode;

/**
 * Orders strings by Unicode code point, which is the byte order of their UTF-8 encoding: the
 * order Calico (Go, comparing bytes) sorts set literals in. Plain `<` on JS strings compares
 * UTF-16 code units, which differs for characters above U+FFFF versus U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Move surrogates above the rest of the BMP so code-unit order becomes code-point order.
      if (x >= 0xd800 && y >= 0xd800) {
        x += x >= 0xe000 ? -0x800 : 0x2000;
        y += y >= 0xe000 ? -0x800 : 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

const SURROGATE = /[\ud800-\udfff]/;

// Without surrogates, UTF-16 code-unit order (the engine's own `<`) is code-point order.
const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts `values` in place by code point, drops duplicates and returns the result frozen (possibly `values` itself). */
export function toStringSet(values: string[]): readonly string[] {
  // Canonical text, re-parsed, is already sorted and unique: check that in one pass first.
  let ordered = true;
  for (let i = 1; i < values.length && ordered; i++) ordered = compareCodePoints(values[i - 1]!, values[i]!) < 0;
  if (ordered) return Object.freeze(values);
  const sorted = values.some((v) => SURROGATE.test(v)) ? values.sort(compareCodePoints) : values.sort(compareCodeUnits);
  const out: string[] = [];
  for (const v of sorted) {
    if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  }
  return Object.freeze(out);
}

/** Returns a copy of the tree with every label name passed through `rename`; other nodes are shared. */
export function mapLabelNames(node: SelectorNode, rename: (label: string) => string): SelectorNode {
  switch (node.type) {
    case 'all':
    case 'global':
      return node;
    case 'has':
      return Object.freeze({ type: node.type, label: rename(node.label) });
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return Object.freeze({ type: node.type, label: rename(node.label), value: node.value });
    case 'in':
    case 'notIn':
      return Object.freeze({ type: node.type, label: rename(node.label), values: node.values });
    case 'not':
      return Object.freeze({ type: node.type, operand: mapLabelNames(node.operand, rename) });
    case 'and':
    case 'or':
      return Object.freeze({ type: node.type, operands: Object.freeze(node.operands.map((op) => mapLabelNames(op, rename))) });
  }
}

/** Adds every label name the tree mentions to `into` (in order of first appearance) and returns it. */
export function collectLabelNames(node: SelectorNode, into: Set<string> = new Set()): Set<string> {
  switch (node.type) {
    case 'all':
    case 'global':
      break;
    case 'not':
      collectLabelNames(node.operand, into);
      break;
    case 'and':
    case 'or':
      for (const op of node.operands) collectLabelNames(op, into);
      break;
    default:
      into.add(node.label);
  }
  return into;
}
