/**
 * JSON as Go's `json.MarshalIndent(v, "", "  ")` writes it for calicoctl's
 * `-o json`: two-space indentation and HTML-sensitive characters escaped.
 * @module
 */

const ESCAPE = /[<>&\u2028\u2029]/g;
const escapeHtml = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Indented JSON without a trailing newline; `undefined` prints as `null`. */
export function toGoJson(value: unknown): string {
  const text = JSON.stringify(value ?? null, null, 2);
  // These characters can only occur inside strings, so a global replace is exact.
  return text.replace(ESCAPE, escapeHtml);
}
