/**
 * Per-label facts every matching label map must satisfy, derived from a selector's tree (Calico's
 * `LabelRestrictions`). They are lower bounds for indexing: an index can skip endpoints that
 * violate them without evaluating the selector. They never change what a selector matches.
 * @module
 */
import type { SelectorNode } from './ast.ts';
import { toStringSet } from './ast.ts';

/** What a matching label map must satisfy for one label. */
export interface LabelRestriction {
  /** The label must be present. */
  readonly mustBePresent: boolean;
  /** The label must be absent (with `mustBePresent` too, nothing can match). */
  readonly mustBeAbsent: boolean;
  /** If set, the value must be one of these (sorted); an empty list means nothing can match. */
  readonly mustHaveOneOfValues?: readonly string[];
}

type Restrictions = Map<string, LabelRestriction>;

function intersect(a: readonly string[], b: readonly string[]): readonly string[] {
  const inB = new Set(b);
  return a.filter((v) => inB.has(v));
}

function and(operands: readonly SelectorNode[]): Restrictions {
  const out: Restrictions = new Map();
  for (const op of operands) {
    for (const [label, r] of labelRestrictions(op)) {
      const base = out.get(label);
      if (base === undefined) {
        out.set(label, r);
        continue;
      }
      const values = base.mustHaveOneOfValues === undefined ? r.mustHaveOneOfValues
        : r.mustHaveOneOfValues === undefined ? base.mustHaveOneOfValues
          : intersect(base.mustHaveOneOfValues, r.mustHaveOneOfValues);
      out.set(label, restriction(base.mustBePresent || r.mustBePresent, base.mustBeAbsent || r.mustBeAbsent, values));
    }
  }
  return out;
}

function or(operands: readonly SelectorNode[]): Restrictions {
  const [first, ...rest] = operands as [SelectorNode, ...SelectorNode[]];
  const out = labelRestrictions(first);
  for (const op of rest) {
    const other = labelRestrictions(op);
    for (const [label, r] of out) {
      const o = other.get(label);
      const present = r.mustBePresent && o?.mustBePresent === true;
      const absent = r.mustBeAbsent && o?.mustBeAbsent === true;
      // A value list survives only if both branches require the label with a value list.
      const values = present && r.mustHaveOneOfValues !== undefined && o?.mustHaveOneOfValues !== undefined
        ? toStringSet([...r.mustHaveOneOfValues, ...o.mustHaveOneOfValues]) : undefined;
      if (present || absent) out.set(label, restriction(present, absent, values));
      else out.delete(label);
    }
  }
  return out;
}

function restriction(mustBePresent: boolean, mustBeAbsent: boolean, mustHaveOneOfValues?: readonly string[]): LabelRestriction {
  return mustHaveOneOfValues === undefined ? { mustBePresent, mustBeAbsent } : { mustBePresent, mustBeAbsent, mustHaveOneOfValues };
}

/** Derives per-label restrictions from a tree, with the rules of Calico's `LabelRestrictions()`. */
export function labelRestrictions(node: SelectorNode): Map<string, LabelRestriction> {
  switch (node.type) {
    case 'eq':
      return new Map([[node.label, restriction(true, false, [node.value])]]);
    case 'in':
      return new Map([[node.label, restriction(true, false, node.values)]]);
    case 'has':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return new Map([[node.label, restriction(true, false)]]);
    case 'not':
      // Only `!has(x)` says anything for sure; other negations imply nothing.
      return node.operand.type === 'has' ? new Map([[node.operand.label, restriction(false, true)]]) : new Map();
    case 'and':
      return and(node.operands);
    case 'or':
      return or(node.operands);
    default: // all, global, ne, notIn
      return new Map();
  }
}
