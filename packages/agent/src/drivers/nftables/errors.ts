/**
 * Errors of the nftables driver. `NftApplyError` is the persistent-failure signal: the caller
 * must exit so the supervisor restarts the agent, which then resyncs from scratch (fail closed;
 * the last good ruleset stays in the kernel meanwhile).
 * @module
 */

/** nft kept rejecting the agent's transactions after every retry. */
export class NftApplyError extends Error {
  readonly code = 'AGENT_NFT_APPLY_FAILED';
  readonly table: string;
  readonly attempts: number;
  constructor(table: string, attempts: number, detail: string, options?: { cause?: unknown }) {
    super(`Cannot program nftables table "${table}" after ${attempts} attempts: ${detail}`, options);
    this.name = 'NftApplyError';
    this.table = table;
    this.attempts = attempts;
  }
}

/** True for an `NftApplyError`, also across duplicate module copies. */
export function isNftApplyError(err: unknown): err is NftApplyError {
  return err instanceof Error && (err as { code?: unknown }).code === 'AGENT_NFT_APPLY_FAILED';
}
