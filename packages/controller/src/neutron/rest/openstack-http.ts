/**
 * The HTTP layer under the Neutron REST client and Keystone auth: one JSON request on Node's
 * fetch with a per-attempt timeout and bounded, jittered retries for failures a later attempt
 * may not see (no response, 5xx, 429). Everything else is returned for the caller to judge.
 * @module
 */
import { setTimeout as delay } from 'node:timers/promises';
import { NeutronApiError, type OpenStackService } from './neutron-api-error.ts';

/** Timeouts and retries of an OpenStackHttp. */
export interface OpenStackHttpOptions {
  /** Per-attempt limit, headers and body included (default 30 s). */
  timeoutMs?: number;
  /** Further attempts after a retryable failure (default 3). */
  retries?: number;
  /** First backoff; doubles per attempt, jittered to 50–100 % (default 250 ms). */
  retryBaseDelayMs?: number;
  /** Upper bound of one backoff, Retry-After included (default 5 s). */
  retryMaxDelayMs?: number;
  /** The fetch to use (tests inject one). */
  fetch?: typeof fetch;
}

/** A response the caller gets to judge: any status below 500 except 429, body parsed as JSON. */
export interface JsonResponse {
  status: number;
  headers: Headers;
  /** The parsed body; undefined for an empty or non-JSON body. */
  body: unknown;
  /** The body as received. */
  text: string;
  statusText: string;
}

/** One request. */
export interface JsonRequest {
  service: OpenStackService;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: unknown;
}

const MAX_PATH_IN_MESSAGES = 200;

/** The path and query of `url` as error messages show it: `fields=` left out, long filters shortened. */
export function displayPath(url: URL): string {
  const query = new URLSearchParams([...url.searchParams].filter(([k]) => k !== 'fields')).toString();
  const full = url.pathname + (query ? `?${decodeURIComponent(query)}` : '');
  return full.length <= MAX_PATH_IN_MESSAGES ? full : `${full.slice(0, MAX_PATH_IN_MESSAGES)}…`;
}

/** The error type and message a Neutron (`NeutronError`) or Keystone (`error`) body carries. */
export function serviceErrorOf(body: unknown, text: string): { type?: string; message: string } {
  if (body && typeof body === 'object') {
    const neutron = (body as { NeutronError?: unknown }).NeutronError;
    if (typeof neutron === 'string') return { message: neutron };
    if (neutron && typeof neutron === 'object') {
      const { type, message } = neutron as { type?: unknown; message?: unknown };
      return { type: typeof type === 'string' ? type : undefined, message: typeof message === 'string' ? message : text };
    }
    const keystone = (body as { error?: unknown }).error;
    if (keystone && typeof keystone === 'object') {
      const { title, message } = keystone as { title?: unknown; message?: unknown };
      return { type: typeof title === 'string' ? title : undefined, message: typeof message === 'string' ? message : text };
    }
  }
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return { message: trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed };
}

function transportDetail(err: unknown): string {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) return err.message;
  if (err instanceof Error) {
    const cause = err.cause;
    if (cause instanceof Error && cause.message) return `${err.message}: ${cause.message}`;
    return err.message;
  }
  return String(err);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends JSON requests to one OpenStack service with timeouts and retries. */
export class OpenStackHttp {
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: OpenStackHttpOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 3;
    this.#baseDelayMs = options.retryBaseDelayMs ?? 250;
    this.#maxDelayMs = options.retryMaxDelayMs ?? 5_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * Sends `request`, retrying failures that may be transient. Resolves with any other response
   * (2xx, 3xx, 4xx but 429); throws NeutronApiError when the retries run out.
   */
  async send(request: JsonRequest): Promise<JsonResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
    let payload: string | undefined;
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(request.body);
    }
    const attempts = this.#retries + 1;
    for (let attempt = 1; ; attempt++) {
      let failure: { status?: number; type?: string; detail: string; cause?: unknown; retryAfterMs?: number };
      try {
        const res = await this.#fetch(request.url, {
          method: request.method,
          headers,
          body: payload,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        const text = await res.text();
        const body = parseBody(text);
        if (res.status < 500 && res.status !== 429) return { status: res.status, headers: res.headers, body, text, statusText: res.statusText };
        const { type, message } = serviceErrorOf(body, text);
        failure = { status: res.status, type, detail: message || res.statusText, retryAfterMs: retryAfterMs(res.headers) };
      } catch (err) {
        failure = { detail: transportDetail(err), cause: err };
      }
      if (attempt >= attempts) {
        throw new NeutronApiError(
          {
            service: request.service,
            method: request.method,
            path: displayPath(request.url),
            status: failure.status,
            errorType: failure.type,
            detail: failure.detail,
            attempts: attempt,
          },
          { cause: failure.cause },
        );
      }
      const backoff = this.#baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() * 0.5);
      await delay(Math.min(this.#maxDelayMs, Math.max(backoff, failure.retryAfterMs ?? 0)));
    }
  }
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
