/**
 * Calico's label-selector language: tokenizer → parser → compiled `Selector`. The entry point
 * of this folder; `@percale/api` re-exports what other packages need.
 * @module
 */
export { Selector, parseSelector, tryParseSelector, normaliseSelector } from './selector.ts';
export { SelectorSyntaxError, isSelectorSyntaxError } from './selector-syntax-error.ts';
export type { Labels, Matcher } from './evaluate.ts';
export type { LabelRestriction } from './label-restrictions.ts';
export type {
  SelectorNode, AllNode, GlobalNode, HasNode, ValueNode, ValueOperator, SetNode, NotNode, AndNode, OrNode,
} from './ast.ts';
export { tokenize, isValidLabelName, MAX_LABEL_LENGTH, type Token, type TokenKind } from './tokenizer.ts';
export { makeUniqueId } from './unique-id.ts';
