/**
 * Datastore errors. Each has a stable `code`; callers branch on the code (or the
 * guard functions), never on message text or `instanceof` alone. Messages follow
 * the text Calico prints, because operators grep for them.
 * @module
 */
import { describeKey, type Resource, type ResourceKey } from '@percale/api';

export type DatastoreErrorCode =
  | 'DATASTORE_NOT_FOUND'
  | 'DATASTORE_ALREADY_EXISTS'
  | 'DATASTORE_REVISION_CONFLICT'
  | 'DATASTORE_UNAVAILABLE'
  | 'DATASTORE_UNAUTHORIZED'
  | 'DATASTORE_COMPACTED'
  | 'DATASTORE_CORRUPT_ENTRY'
  | 'DATASTORE_OPERATION_NOT_SUPPORTED';

/** Base of every datastore error. */
export abstract class DatastoreError extends Error {
  abstract readonly code: DatastoreErrorCode;
  /** True when retrying the same call later may succeed. */
  readonly retryable: boolean = false;
}

/** The resource does not exist. */
export class NotFoundError extends DatastoreError {
  readonly code = 'DATASTORE_NOT_FOUND';
  readonly key: ResourceKey;
  constructor(key: ResourceKey, options?: { cause?: unknown }) {
    super(`resource does not exist: ${describeKey(key)} with error: <nil>`, options);
    this.name = 'NotFoundError';
    this.key = key;
  }
}

/** A create found the key already present. */
export class AlreadyExistsError extends DatastoreError {
  readonly code = 'DATASTORE_ALREADY_EXISTS';
  readonly key: ResourceKey;
  readonly existing: Resource | undefined;
  constructor(key: ResourceKey, existing?: Resource) {
    super(`resource already exists: ${describeKey(key)} with error: <nil>`);
    this.name = 'AlreadyExistsError';
    this.key = key;
    this.existing = existing;
  }
}

/** A compare-and-swap write found the resource at another revision. */
export class RevisionConflictError extends DatastoreError {
  readonly code = 'DATASTORE_REVISION_CONFLICT';
  readonly key: ResourceKey;
  readonly current: Resource | undefined;
  constructor(key: ResourceKey, current?: Resource) {
    super(`update conflict: ${describeKey(key)}`);
    this.name = 'RevisionConflictError';
    this.key = key;
    this.current = current;
  }
}

/** The datastore could not be reached or did not answer in time. */
export class DatastoreUnavailableError extends DatastoreError {
  readonly code = 'DATASTORE_UNAVAILABLE';
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatastoreUnavailableError';
  }
}

/** The datastore refused our credentials. */
export class UnauthorizedError extends DatastoreError {
  readonly code = 'DATASTORE_UNAUTHORIZED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`connection is unauthorized: ${message}`, options);
    this.name = 'UnauthorizedError';
  }
}

/** A watch asked for a revision that has been compacted away: re-list and watch again. */
export class CompactedError extends DatastoreError {
  readonly code = 'DATASTORE_COMPACTED';
  readonly requestedRevision: string;
  readonly compactRevision: string | undefined;
  constructor(requestedRevision: string, compactRevision?: string) {
    super(`watch revision ${requestedRevision} has been compacted${compactRevision ? ` (compacted up to ${compactRevision})` : ''}`);
    this.name = 'CompactedError';
    this.requestedRevision = requestedRevision;
    this.compactRevision = compactRevision;
  }
}

/** A stored value could not be parsed. */
export class CorruptEntryError extends DatastoreError {
  readonly code = 'DATASTORE_CORRUPT_ENTRY';
  readonly storageKey: string;
  readonly raw: string;
  constructor(storageKey: string, raw: string, options?: { cause?: unknown }) {
    const detail = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'invalid JSON');
    super(`failed to parse datastore entry key=${storageKey}; value=${raw}: ${detail}`, options);
    this.name = 'CorruptEntryError';
    this.storageKey = storageKey;
    this.raw = raw;
  }
}

/** The operation is refused for this resource (read-only or protected). */
export class OperationNotSupportedError extends DatastoreError {
  readonly code = 'DATASTORE_OPERATION_NOT_SUPPORTED';
  readonly operation: string;
  readonly identifier: string;
  readonly reason: string | undefined;
  constructor(operation: string, identifier: string, reason?: string) {
    super(`operation ${operation} is not supported on ${identifier}${reason ? `: ${reason}` : ''}`);
    this.name = 'OperationNotSupportedError';
    this.operation = operation;
    this.identifier = identifier;
    this.reason = reason;
  }
}

function hasCode(err: unknown, code: DatastoreErrorCode): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

export const isNotFound = (err: unknown): err is NotFoundError => hasCode(err, 'DATASTORE_NOT_FOUND');
export const isAlreadyExists = (err: unknown): err is AlreadyExistsError => hasCode(err, 'DATASTORE_ALREADY_EXISTS');
export const isRevisionConflict = (err: unknown): err is RevisionConflictError => hasCode(err, 'DATASTORE_REVISION_CONFLICT');
export const isCompacted = (err: unknown): err is CompactedError => hasCode(err, 'DATASTORE_COMPACTED');
export const isUnavailable = (err: unknown): err is DatastoreUnavailableError => hasCode(err, 'DATASTORE_UNAVAILABLE');

/** True when the same call may succeed if retried later. */
export function isRetryable(err: unknown): boolean {
  return err instanceof Error && (err as { retryable?: unknown }).retryable === true;
}
