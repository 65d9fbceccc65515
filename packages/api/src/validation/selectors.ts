/**
 * Field checks for selector-valued fields (selectors.md §6): syntax, and where `global()` may
 * appear. The `global(` checks are substring tests on the raw text, as in Calico's CEL rules.
 * @module
 */
import type { StringCheck } from '../schema/scalars.ts';
import { isSelectorSyntaxError, parseSelector, tokenize } from '../selector/index.ts';

/** The selector parses (an empty selector means `all()`). */
export const selectorSyntax: StringCheck = (text) => {
  try {
    parseSelector(text);
    return undefined;
  } catch (err) {
    if (isSelectorSyntaxError(err)) return `invalid selector: ${err.reason} at position ${err.position}`;
    throw err;
  }
};

/** CEL rule of policy and entity selectors: no `global(` anywhere in the text. */
export const noGlobal: StringCheck = (text) =>
  (text.includes('global(') ? 'global() can only be used in an EntityRule namespaceSelector' : undefined);

/** A rule's `namespaceSelector` may use `global()` only on its own (blanks around it allowed). */
export const globalOnlyAlone: StringCheck = (text) => {
  if (!text.includes('global(') || text === 'global()') return undefined;
  let alone = false;
  try {
    const tokens = tokenize(text);
    alone = tokens.length === 2 && tokens[0]!.kind === 'TokGlobal';
  } catch {
    alone = false;
  }
  return alone ? undefined : 'global() cannot be combined with other selectors';
};
