/**
 * The error raised for selector text that is not in Calico's selector language. It names
 * the problem and the 0-based offset so calicoctl and the validators can point at it.
 * @module
 */

/** Raised by `parseSelector()` for text that is not a valid Calico selector. */
export class SelectorSyntaxError extends SyntaxError {
  readonly code = 'API_SELECTOR_SYNTAX';
  /** The selector text as given (not trimmed). */
  readonly selector: string;
  /** 0-based offset (in UTF-16 code units) of the offending character or token. */
  readonly position: number;
  /** The problem alone, without the selector or position, e.g. `expected string`. */
  readonly reason: string;

  constructor(selector: string, position: number, reason: string) {
    super(`Cannot parse selector ${JSON.stringify(selector)}: ${reason} at position ${position}`);
    this.name = 'SelectorSyntaxError';
    this.selector = selector;
    this.position = position;
    this.reason = reason;
  }
}

/** True for a `SelectorSyntaxError`, also when it comes from another copy of this package. */
export function isSelectorSyntaxError(err: unknown): err is SelectorSyntaxError {
  return err instanceof SelectorSyntaxError ||
    (err instanceof SyntaxError && (err as { code?: unknown }).code === 'API_SELECTOR_SYNTAX');
}
