/**
 * Rule hash chains (agent-dataplane.md §5.9): each rule's comment carries a hash of its text
 * chained with every rule before it, so comparing the hash lists read back from the kernel with
 * the expected lists detects any added, missing, reordered or changed rule without parsing rules.
 * @module
 */
import { createHash } from 'node:crypto';

import type { NftRule } from './model.ts';

/** Prefix of every hash comment Percale writes. */
export const HASH_PREFIX = 'pc:';
const HASH_LEN = 16;
/** nft refuses comments longer than this. */
export const MAX_COMMENT_LEN = 128;

function digest(input: string): string {
  return createHash('sha224').update(input).digest('base64url');
}

/** The text that is hashed for one rule: body plus comment text, as written to the kernel. */
function ruleText(rule: NftRule): string {
  return rule.comment === undefined ? rule.body : `${rule.body}\u0000${rule.comment}`;
}

/** `h0 = H(chain)`, `hi = H(h(i−1) ‖ rule i)`; each truncated to 16 base64url characters. */
export function ruleHashes(chainName: string, rules: readonly NftRule[]): string[] {
  let prev = digest(chainName);
  return rules.map((rule) => {
    prev = digest(`${prev}${ruleText(rule)}`);
    return prev.slice(0, HASH_LEN);
  });
}

/** Replaces what nft cannot carry in a quoted string (and non-ASCII, so length is bytes). */
export function sanitizeComment(text: string): string {
  return text.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, '_');
}

/** The comment written for a rule with hash `hash`. */
export function ruleComment(hash: string, text: string | undefined): string {
  const full = text ? `${HASH_PREFIX}${hash}; ${sanitizeComment(text)}` : `${HASH_PREFIX}${hash}`;
  return full.length <= MAX_COMMENT_LEN ? full : full.slice(0, MAX_COMMENT_LEN);
}

const HASH_IN_COMMENT = new RegExp(`^${HASH_PREFIX}([A-Za-z0-9_-]{${HASH_LEN}})(?:;|$)`);

/** The hash in a comment read back from the kernel, or '' when the rule carries none of ours. */
export function hashFromComment(comment: string | undefined): string {
  if (comment === undefined) return '';
  return HASH_IN_COMMENT.exec(comment)?.[1] ?? '';
}
