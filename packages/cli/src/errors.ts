/**
 * The one error type calicoctl commands throw to end a run: its message is what
 * the user sees (verbatim, Calico's wording) and the process exits with status 1.
 * A few early failures go to stdout, as Calico's calicoctl prints them there.
 * @module
 */

/** A failure to report to the user; `stream` says where calicoctl prints it. */
export class CommandFailedError extends Error {
  readonly code = 'CLI_COMMAND_FAILED';
  readonly stream: 'stdout' | 'stderr';
  constructor(message: string, options?: { stream?: 'stdout' | 'stderr'; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CommandFailedError';
    this.stream = options?.stream ?? 'stderr';
  }
}

/** True for a `CommandFailedError`, also across duplicate copies of this module. */
export function isCommandFailedError(err: unknown): err is CommandFailedError {
  return err instanceof Error && (err as { code?: unknown }).code === 'CLI_COMMAND_FAILED';
}

/** Datastore error codes the commands branch on (see @percale/datastore's errors). */
export type DatastoreCode =
  | 'DATASTORE_NOT_FOUND'
  | 'DATASTORE_ALREADY_EXISTS'
  | 'DATASTORE_REVISION_CONFLICT'
  | 'DATASTORE_UNAVAILABLE'
  | 'DATASTORE_OPERATION_NOT_SUPPORTED';

/**
 * True when `err` carries the datastore error `code`. Commands compare codes rather
 * than importing the datastore package, so commands that never touch etcd
 * (`validate`, `version --client`) do not load the etcd client.
 */
export function hasCode(err: unknown, code: DatastoreCode): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
