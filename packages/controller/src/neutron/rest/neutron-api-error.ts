/**
 * The error the Neutron REST client raises when Neutron or Keystone cannot answer a request:
 * an HTTP error status, a timeout or a connection failure that outlasted the retries.
 * @module
 */

/** Which OpenStack service a failed request went to. */
export type OpenStackService = 'neutron' | 'keystone';

/** What a NeutronApiError knows about the failed request. */
export interface NeutronApiErrorDetails {
  service: OpenStackService;
  method: string;
  /** Path and query of the request (long queries shortened). */
  path: string;
  /** The HTTP status, or undefined when no response came (timeout, connection failure). */
  status?: number;
  /** The service's own error type (`PortNotFound`, Keystone's title), when it sent one. */
  errorType?: string;
  /** The service's own error message, or the transport error's. */
  detail: string;
  /** How many attempts were made before giving up. */
  attempts: number;
}

/** A Neutron or Keystone request failed; `status` and `retryable` tell callers what kind of failure. */
export class NeutronApiError extends Error {
  readonly code = 'CONTROLLER_NEUTRON_API_FAILED';
  readonly service: OpenStackService;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly errorType: string | undefined;
  readonly detail: string;
  readonly attempts: number;

  constructor(details: NeutronApiErrorDetails, options?: { cause?: unknown }) {
    const who = details.service === 'neutron' ? 'Neutron' : 'Keystone';
    const outcome =
      details.status === undefined
        ? 'no response'
        : `HTTP ${details.status}${details.errorType ? ` ${details.errorType}` : ''}`;
    const tries = details.attempts > 1 ? ` after ${details.attempts} attempts` : '';
    super(`${who} request ${details.method} ${details.path} failed${tries}: ${outcome}: ${JSON.stringify(details.detail)}`, options);
    this.name = 'NeutronApiError';
    this.service = details.service;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.errorType = details.errorType;
    this.detail = details.detail;
    this.attempts = details.attempts;
  }

  /** True for failures a later attempt may not see: no response, 5xx, 429. */
  get retryable(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

/** True when `err` is a NeutronApiError. */
export function isNeutronApiError(err: unknown): err is NeutronApiError {
  return err instanceof NeutronApiError;
}
