/**
 * The failures of Neutron agent RPC, one class with a stable code per cause, so the status
 * bridge can tell "retry later" (timeout, no server, broker gone) from "Neutron refused".
 * @module
 */
import type { OsloRemoteFailure } from './oslo-envelope.ts';

/** Why an agent RPC failed. */
export type NeutronRpcErrorCode =
  | 'CONTROLLER_RPC_TIMEOUT'
  | 'CONTROLLER_RPC_UNROUTABLE'
  | 'CONTROLLER_RPC_REMOTE_ERROR'
  | 'CONTROLLER_RPC_CONNECTION_LOST'
  | 'CONTROLLER_RPC_CLOSED';

/** A failed `report_state`, `update_device_up` or `update_device_down`. */
export class NeutronRpcError extends Error {
  readonly code: NeutronRpcErrorCode;
  /** The RPC method, e.g. `update_device_up`. */
  readonly method: string;
  /** For `CONTROLLER_RPC_REMOTE_ERROR`: the exception neutron-server raised. */
  readonly remote: OsloRemoteFailure | undefined;

  constructor(code: NeutronRpcErrorCode, method: string, message: string, options: { remote?: OsloRemoteFailure; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NeutronRpcError';
    this.code = code;
    this.method = method;
    this.remote = options.remote;
  }

  /** True when trying again later can succeed (everything but a server-side exception and close()). */
  get retryable(): boolean {
    return this.code !== 'CONTROLLER_RPC_REMOTE_ERROR' && this.code !== 'CONTROLLER_RPC_CLOSED';
  }
}

/** True when `err` is a NeutronRpcError. */
export function isNeutronRpcError(err: unknown): err is NeutronRpcError {
  return err instanceof NeutronRpcError;
}
