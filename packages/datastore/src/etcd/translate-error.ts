/**
 * The one place where etcd and gRPC failures become datastore errors. Everything the
 * etcd3 client or a raw gRPC stream throws passes through `translateEtcdError`, so no
 * code outside `src/etcd/` ever sees an etcd3 error class.
 * @module
 */
import {
  castGrpcError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  EtcdWatchStreamEnded,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
} from 'etcd3';
import { CompactedError, DatastoreError, DatastoreUnavailableError, UnauthorizedError } from '../errors.ts';

/** What was being done when the failure happened, for the message. */
export interface EtcdErrorContext {
  /** The action in words, e.g. `list IPPool` or `update NetworkPolicy(ns/allow-ssh)`. */
  action: string;
  /** The configured endpoints (named in "unavailable" messages). */
  endpoints: readonly string[];
  /** The revision a read or watch asked for, when there was one. */
  revision?: string;
}

// etcd reports these as plain gRPC statuses; only the text says what happened.
const COMPACTED = 'required revision has been compacted';
const FUTURE_REVISION = 'required revision is a future revision';
const UNAUTHENTICATED_TEXTS = ['user name is empty', 'authentication failed', 'invalid auth token', 'permission denied', 'user name not found'];
const UNAVAILABLE_TEXTS = ['request timed out', 'leader changed', 'no leader', 'not capable', 'too many requests', 'timed out waiting for read index', 'Broken circuit'];

/** Converts anything thrown by the etcd3 client or a gRPC stream into a datastore error. */
export function translateEtcdError(err: unknown, context: EtcdErrorContext): Error {
  if (err instanceof DatastoreError) return err;
  if (!(err instanceof Error)) return new Error(`Cannot ${context.action}: ${String(err)}`);
  const cast = castGrpcError(err);
  const text = cast.message;
  if (text.includes(COMPACTED)) return new CompactedError(context.revision ?? 'unknown');
  if (text.includes(FUTURE_REVISION)) {
    return new RangeError(`Cannot ${context.action} at revision ${context.revision ?? 'unknown'}: it is ahead of the datastore's current revision`, { cause: err });
  }
  if (
    cast instanceof EtcdAuthenticationFailedError ||
    cast instanceof EtcdInvalidAuthTokenError ||
    cast instanceof EtcdPermissionDeniedError ||
    cast instanceof GRPCUnauthenticatedError ||
    UNAUTHENTICATED_TEXTS.some((t) => text.includes(t))
  ) {
    return new UnauthorizedError(`Cannot ${context.action}: etcd refused the request: ${cleanMessage(text)}`, { cause: err });
  }
  if (
    cast instanceof GRPCUnavailableError ||
    cast instanceof GRPCDeadlineExceededError ||
    cast instanceof EtcdWatchStreamEnded ||
    UNAVAILABLE_TEXTS.some((t) => text.includes(t))
  ) {
    return new DatastoreUnavailableError(`Cannot ${context.action}: etcd at ${context.endpoints.join(', ')} is unavailable: ${cleanMessage(text)}`, { cause: err });
  }
  if (cast instanceof GRPCCancelledError) {
    return new DatastoreUnavailableError(`Cannot ${context.action}: the request to etcd at ${context.endpoints.join(', ')} was cancelled: ${cleanMessage(text)}`, { cause: err });
  }
  return new Error(`Cannot ${context.action}: etcd failed: ${cleanMessage(text)}`, { cause: err });
}

/** True when etcd rejected an expired auth token: a fresh token (not new credentials) fixes it. */
export function isStaleAuthToken(err: unknown): boolean {
  return err instanceof Error && (castGrpcError(err) instanceof EtcdInvalidAuthTokenError || err.message.includes('invalid auth token'));
}

/** Drops the class name etcd3 puts in front of gRPC messages, and grpc-js's empty trailer. */
function cleanMessage(message: string): string {
  return message.replace(/^[A-Za-z]+Error: /, '').replace(/\. Resolution note: $/, '');
}
