/**
 * Rule hash chains (agent-dataplane.md §5.9): each rule's comment carries a hash of its text
 * chained with every rule before it, so comparing the hash lists read back from the kernel with
 * the expected lists detects any added, missing, reordered or changed rule without parsing rules.
 * @module
 */
import { hash } from 'node:crypto';

import type { NftRule } from './model.ts';

/** Prefix of every hash comment Percale writes. */
export const HASH_PREFIX = 'pc:';
const HASH_LEN = 16;
/** nft refuses comments longer than this. */
export const MAX_COMMENT_LEN = 128;

function digest(input: string): string {
  // One-shot hashing: less than half the cost of createHash() per rule at 50k rules.
  return hash('sha224', input, 'base64url');
}

/** The text that is hashed for one rule: body plus comment text, as written to the kernel. */
function ruleText(rule: NftRule): string {
  return rule.comment === undefined ? rule.body : `${rule.body}\u0000${rule.comment}`;
}

/** Seed of every hash chain (§5.9 seeds with the chain name; see below). */
const SEED = digest('percale').slice(0, HASH_LEN);

/**
 * Memo of `H(prev ‖ rule)`, keyed prev → body → comment so lookups reuse existing strings (V8
 * caches a string's hash) instead of building a key per rule. The chain is seeded with a
 * constant rather than the chain name, so chains that start alike (every endpoint chain shares
 * its first rules; endpoints in the same security groups share all of them) share hashes and
 * each distinct prefix is hashed once. Chains are always compared by name, so a seed would
 * carry no information.
 */
let memo = new Map<string, Map<string, Map<string, string>>>();
let memoSize = 0;
const MEMO_LIMIT = 200_000;
/**
 * Rule objects shared between chains (renderers intern them) are looked up by identity first: a
 * Map, not a WeakMap (several times faster here); cleared with the rest at the size limit.
 */
let byObject = new Map<NftRule, Map<string, string>>();

function chained(prev: string, rule: NftRule): string {
  let byPrev = byObject.get(rule);
  const known = byPrev?.get(prev);
  if (known !== undefined) return known;
  let byBody = memo.get(prev);
  if (!byBody) memo.set(prev, (byBody = new Map()));
  let byComment = byBody.get(rule.body);
  if (!byComment) byBody.set(rule.body, (byComment = new Map()));
  const comment = rule.comment ?? '';
  let h = byComment.get(comment);
  if (h === undefined) {
    // Chained on the truncated hash (96 bits): what the comment carries is all that is compared.
    h = digest(prev + ruleText(rule)).slice(0, HASH_LEN);
    byComment.set(comment, h);
    if (++memoSize > MEMO_LIMIT) {
      memo = new Map();
      byObject = new Map();
      memoSize = 0;
    }
  }
  if (!byPrev) byObject.set(rule, (byPrev = new Map()));
  byPrev.set(prev, h);
  return h;
}

/** `h0 = H(seed)`, `hi = H(h(i−1) ‖ rule i)`; each truncated to 16 base64url characters. */
export function ruleHashes(rules: readonly NftRule[]): string[] {
  let prev = SEED;
  const out = new Array<string>(rules.length);
  for (let i = 0; i < rules.length; i++) {
    prev = chained(prev, rules[i]!);
    out[i] = prev;
  }
  return out;
}

/** Replaces what nft cannot carry in a quoted string (and non-ASCII, so length is bytes). */
export function sanitizeComment(text: string): string {
  return text.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, '_');
}

/** Sanitised comment texts: most rules share a handful of texts ("Return if policy accepted"). */
const sanitized = new Map<string, string>();

/** The comment written for a rule with hash `hash`. */
export function ruleComment(hash: string, text: string | undefined): string {
  if (!text) return `${HASH_PREFIX}${hash}`;
  let clean = sanitized.get(text);
  if (clean === undefined) {
    if (sanitized.size > 10_000) sanitized.clear();
    clean = sanitizeComment(text);
    sanitized.set(text, clean);
  }
  const full = `${HASH_PREFIX}${hash}; ${clean}`;
  return full.length <= MAX_COMMENT_LEN ? full : full.slice(0, MAX_COMMENT_LEN);
}

const HASH_IN_COMMENT = new RegExp(`^${HASH_PREFIX}([A-Za-z0-9_-]{${HASH_LEN}})(?:;|$)`);

/** The hash in a comment read back from the kernel, or '' when the rule carries none of ours. */
export function hashFromComment(comment: string | undefined): string {
  if (comment === undefined) return '';
  return HASH_IN_COMMENT.exec(comment)?.[1] ?? '';
}
