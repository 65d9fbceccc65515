/**
 * The desired-state vocabulary between the dataplane managers and the nftables driver: chains
 * of rules (rendered nft text), sets and maps. Managers build these values; `NftTable` owns
 * turning them into transactions. Plain data, compared by value.
 * @module
 */

/** One rule: nft statement text without its comment, plus optional human text for the comment. */
export interface NftRule {
  readonly body: string;
  /** Shown after the hash in the rule comment (truncated to nft's 128-character limit). */
  readonly comment?: string;
}

export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/** The hook registration of a base chain. */
export interface BaseChainSpec {
  readonly type: 'filter' | 'nat' | 'route';
  readonly hook: NftHook;
  /** Numeric priority (nft lists numbers: raw −300, mangle −150, dstnat −100, filter 0, srcnat 100). */
  readonly priority: number;
  readonly policy: 'accept' | 'drop';
}

/** A chain and its complete rule list. */
export interface NftChain {
  readonly name: string;
  readonly base?: BaseChainSpec;
  /** Chain comment, set when the chain is created (nft cannot change it later). */
  readonly comment?: string;
  readonly rules: readonly NftRule[];
}

/**
 * A named set or map. `type` lists the key's components (`['ifname', 'ipv4_addr']` is a
 * concatenation); `map` is the value type of a map (`verdict`, `ipv4_addr`).
 */
export interface NftSetSpec {
  readonly name: string;
  readonly type: readonly string[];
  readonly map?: string;
  readonly interval?: boolean;
  readonly comment?: string;
}

/** True when two set specs declare the same kernel object. */
export function sameSetSpec(a: NftSetSpec, b: NftSetSpec): boolean {
  return a.name === b.name && a.map === b.map && Boolean(a.interval) === Boolean(b.interval) &&
    a.type.length === b.type.length && a.type.every((t, i) => t === b.type[i]);
}

/** True when two base-chain specs register the same hook. */
export function sameBaseSpec(a: BaseChainSpec | undefined, b: BaseChainSpec | undefined): boolean {
  if (!a || !b) return a === b;
  return a.type === b.type && a.hook === b.hook && a.priority === b.priority && a.policy === b.policy;
}
