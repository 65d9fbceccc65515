/**
 * Compiles a selector syntax tree, once, into a tree of closures: the matcher the agent calls
 * millions of times, so no per-match tree walk, dispatch on node type or allocation. Labels are
 * a plain object; "present" means an own property, never an inherited one.
 * @module
 */
import type { SelectorNode, ValueNode } from './ast.ts';

/** A label map: label name → value. Only own properties count as labels. */
export type Labels = Readonly<Record<string, string>>;

/** A compiled selector: true if the labels match. */
export type Matcher = (labels: Labels) => boolean;

const hasOwn = Object.hasOwn;
const always: Matcher = () => true;
const never: Matcher = () => false;

// Below this size a linear scan of the set beats hashing the value for a Set lookup.
const LINEAR_SET_LIMIT = 4;

// Each value test reads the property first and checks ownership only when the value could
// match, so the common non-matching case costs one property load.
function compileValue(node: ValueNode): Matcher {
  const k = node.label;
  const v = node.value;
  switch (node.type) {
    case 'eq':
      return (l) => l[k] === v && hasOwn(l, k);
    case 'ne':
      return (l) => l[k] !== v || !hasOwn(l, k);
    case 'contains':
      if (v === '') return (l) => hasOwn(l, k);
      return (l) => {
        const x = l[k];
        return typeof x === 'string' && x.includes(v) && hasOwn(l, k);
      };
    case 'startsWith':
      if (v === '') return (l) => hasOwn(l, k);
      return (l) => {
        const x = l[k];
        return typeof x === 'string' && x.startsWith(v) && hasOwn(l, k);
      };
    default: // endsWith
      if (v === '') return (l) => hasOwn(l, k);
      return (l) => {
        const x = l[k];
        return typeof x === 'string' && x.endsWith(v) && hasOwn(l, k);
      };
  }
}

function compileIn(label: string, values: readonly string[]): Matcher {
  const k = label;
  if (values.length === 0) return never;
  if (values.length === 1) {
    const v = values[0];
    return (l) => l[k] === v && hasOwn(l, k);
  }
  if (values.length <= LINEAR_SET_LIMIT) {
    const vs = [...values];
    return (l) => {
      const x = l[k];
      return x !== undefined && vs.includes(x) && hasOwn(l, k);
    };
  }
  const set = new Set(values);
  return (l) => {
    const x = l[k];
    return x !== undefined && set.has(x) && hasOwn(l, k);
  };
}

function compileAnd(ops: readonly Matcher[]): Matcher {
  if (ops.length === 2) {
    const [a, b] = ops as [Matcher, Matcher];
    return (l) => a(l) && b(l);
  }
  if (ops.length === 3) {
    const [a, b, c] = ops as [Matcher, Matcher, Matcher];
    return (l) => a(l) && b(l) && c(l);
  }
  const all = [...ops];
  return (l) => {
    for (let i = 0; i < all.length; i++) if (!all[i]!(l)) return false;
    return true;
  };
}

function compileOr(ops: readonly Matcher[]): Matcher {
  if (ops.length === 2) {
    const [a, b] = ops as [Matcher, Matcher];
    return (l) => a(l) || b(l);
  }
  if (ops.length === 3) {
    const [a, b, c] = ops as [Matcher, Matcher, Matcher];
    return (l) => a(l) || b(l) || c(l);
  }
  const any = [...ops];
  return (l) => {
    for (let i = 0; i < any.length; i++) if (any[i]!(l)) return true;
    return false;
  };
}

/** Compiles a tree into a matcher with Calico's evaluation semantics (spec §3). */
export function compileSelector(node: SelectorNode): Matcher {
  switch (node.type) {
    case 'all':
    case 'global':
      return always;
    case 'has': {
      const k = node.label;
      return (l) => hasOwn(l, k);
    }
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return compileValue(node);
    case 'in':
      return compileIn(node.label, node.values);
    case 'notIn': {
      const inSet = compileIn(node.label, node.values);
      return (l) => !inSet(l);
    }
    case 'not': {
      const operand = compileSelector(node.operand);
      return (l) => !operand(l);
    }
    case 'and':
      return compileAnd(node.operands.map(compileSelector));
    case 'or':
      return compileOr(node.operands.map(compileSelector));
  }
}
