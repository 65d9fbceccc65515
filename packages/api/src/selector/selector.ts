/**
 * The public face of the selector language: `parseSelector()` turns Calico selector text into a
 * `Selector` that matches label maps, renders Calico's canonical text and derives Calico's unique
 * ID. The last stage of tokenizer → parser → selector.
 * @module
 */
import { collectLabelNames, mapLabelNames, type SelectorNode } from './ast.ts';
import { renderCanonical } from './canonical.ts';
import { compileSelector, type Matcher } from './evaluate.ts';
import { labelRestrictions, type LabelRestriction } from './label-restrictions.ts';
import { parseSelectorNode } from './parser.ts';
import { isSelectorSyntaxError } from './selector-syntax-error.ts';
import { isValidLabelName } from './tokenizer.ts';
import { makeUniqueId } from './unique-id.ts';

/** A parsed, immutable Calico selector. Create one with `parseSelector()`. */
export class Selector {
  /** The frozen syntax tree. */
  readonly root: SelectorNode;

  #matcher: Matcher | undefined;
  #canonical: string | undefined;
  #uniqueId: string | undefined;
  #labelNames: readonly string[] | undefined;

  private constructor(root: SelectorNode) {
    this.root = root;
  }

  /**
   * The compiled matcher: `sel.matches(labels)` is true if the label map matches. It is a plain
   * function, compiled on first use (validation never pays for it), so it may be hoisted out
   * of a loop or passed around detached (`endpoints.filter(sel.matches)`).
   */
  get matches(): Matcher {
    return (this.#matcher ??= compileSelector(this.root));
  }

  /**
   * Parses selector text (see `parseSelector()`).
   * @throws {SelectorSyntaxError} if the text is not a valid selector.
   */
  static parse(text: string): Selector {
    // Guards JavaScript callers handing over unchecked JSON (a number, null) as a selector.
    if (typeof text !== 'string') throw new TypeError(`Cannot parse selector: expected a string, got ${text === null ? 'null' : typeof text}`);
    return new Selector(parseSelectorNode(text));
  }

  /** Calico's canonical text, e.g. `(a == "b" && has(c))`; equal selectors have equal text. */
  toString(): string {
    return (this.#canonical ??= renderCanonical(this.root));
  }

  /** Serialises as the canonical text. */
  toJSON(): string {
    return this.toString();
  }

  /** Calico's ID for this selector: `"s:"` + base64url(SHA-224(`"s:"` + canonical text)). */
  uniqueId(): string {
    return (this.#uniqueId ??= makeUniqueId('s', this.toString()));
  }

  /** True if both selectors have the same canonical text (Calico's notion of equality). */
  equals(other: Selector): boolean {
    return this === other || this.toString() === other.toString();
  }

  /**
   * A new selector with `prefix` prepended to every label name, as Calico does to turn a
   * namespaceSelector into a `pcns.` endpoint selector. `all()` and `global()` are unchanged.
   * @throws {RangeError} if the prefix holds a character label names cannot contain.
   */
  prefixLabels(prefix: string): Selector {
    if (prefix !== '' && !isValidLabelName(prefix)) {
      throw new RangeError(`Cannot prefix selector labels with ${JSON.stringify(prefix)}: not a valid label name prefix`);
    }
    return new Selector(mapLabelNames(this.root, (label) => prefix + label));
  }

  /** Every label name the selector mentions, in order of first appearance. */
  labelNames(): readonly string[] {
    return (this.#labelNames ??= Object.freeze([...collectLabelNames(this.root)]));
  }

  /**
   * Per-label conditions every matching label map satisfies (Calico's `LabelRestrictions`),
   * for indexing: `a == "x"` requires `a` with value `x`, `has(b)` requires `b`, `!has(c)`
   * requires `c` absent; `!=`, `not in` and other negations imply nothing.
   */
  labelRestrictions(): ReadonlyMap<string, LabelRestriction> {
    return labelRestrictions(this.root);
  }
}

/**
 * Parses Calico selector text. Only spaces and tabs may separate tokens, and empty text means `all()`.
 * @throws {SelectorSyntaxError} naming the problem and its 0-based position.
 * @throws {TypeError} if `text` is not a string.
 * @example
 * const sel = parseSelector("projectcalico.org/orchestrator == 'openstack' && has(sg.projectcalico.org/openstack-web)");
 * sel.matches({ 'projectcalico.org/orchestrator': 'openstack', 'sg.projectcalico.org/openstack-web': '' }); // true
 * sel.toString(); // '(projectcalico.org/orchestrator == "openstack" && has(sg.projectcalico.org/openstack-web))'
 */
export function parseSelector(text: string): Selector {
  return Selector.parse(text);
}

/** Like `parseSelector()`, but returns `undefined` for invalid text (or a non-string) instead of throwing. */
export function tryParseSelector(text: string): Selector | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return Selector.parse(text);
  } catch (err) {
    if (isSelectorSyntaxError(err)) return undefined;
    throw err;
  }
}

// Go's unicode.IsSpace set (strings.TrimSpace). It differs from String.prototype.trim():
// Go trims U+0085 and keeps U+FEFF.
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const SURROUNDING_SPACE = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g');

/**
 * Calico's `Normalise`: trims surrounding whitespace, then returns the canonical text, or the
 * trimmed text unchanged if it does not parse.
 * @example normaliseSelector("  a=='b' ") // 'a == "b"'
 */
export function normaliseSelector(text: string): string {
  const trimmed = text.replace(SURROUNDING_SPACE, '');
  return tryParseSelector(trimmed)?.toString() ?? trimmed;
}
