/**
 * Renders a selector syntax tree in Calico's canonical text (Go's `Selector.String()`): the
 * form Calico stores, compares and hashes into a selector's unique ID, so it must match byte
 * for byte.
 * @module
 */
import type { SelectorNode } from './ast.ts';

const OPERATOR_TEXT = {
  eq: ' == ',
  ne: ' != ',
  contains: ' contains ',
  startsWith: ' starts with ',
  endsWith: ' ends with ',
} as const;

/** Double quotes unless the value holds one; a value with both quote characters cannot occur. */
function quote(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

/**
 * Canonical text of a tree: AND/OR always parenthesised, `!` glued to its operand, sets sorted.
 * Note that `!(!x)` renders as `!!x`, which re-parses to `x`: Calico has the same quirk, and
 * keeping it keeps unique IDs identical to Calico's.
 */
export function renderCanonical(node: SelectorNode): string {
  switch (node.type) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${node.label})`;
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return node.label + OPERATOR_TEXT[node.type] + quote(node.value);
    case 'in':
    case 'notIn':
      return `${node.label}${node.type === 'in' ? ' in {' : ' not in {'}${node.values.map(quote).join(', ')}}`;
    case 'not':
      return '!' + renderCanonical(node.operand);
    case 'and':
      return `(${node.operands.map(renderCanonical).join(' && ')})`;
    case 'or':
      return `(${node.operands.map(renderCanonical).join(' || ')})`;
  }
}
