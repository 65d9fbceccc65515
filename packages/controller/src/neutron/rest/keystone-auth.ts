/**
 * Keystone v3 password authentication for the Neutron REST client: a project-scoped token
 * (reused until shortly before it expires, replaced when a service answers 401), Neutron's
 * endpoint from the token's service catalog, and the project list for project names and parents.
 * @module
 */
import type { KeystoneProject } from '../types.ts';
import { NeutronApiError } from './neutron-api-error.ts';
import { displayPath, serviceErrorOf, type JsonResponse, type OpenStackHttp } from './openstack-http.ts';

/** Password credentials as `[keystone_authtoken]` gives them. */
export interface KeystonePasswordCredentials {
  /** Keystone's URL, with or without a trailing `/v3`. */
  authUrl: string;
  username: string;
  password: string;
  /** Default `Default`. */
  userDomainName?: string;
  projectName: string;
  /** Default `Default`. */
  projectDomainName?: string;
}

/** Which catalog endpoint to take for a service. */
export interface EndpointSelector {
  /** Default `public`. */
  interface?: 'public' | 'internal' | 'admin';
  /** The region (`region_id`); any region when absent. */
  region?: string;
}

/**
 * Keystone's v3 base URL as networking-calico builds it: a trailing `/v3` or `/v3/` removed, then
 * `/v3` appended (trailing slashes are dropped first so `http://ks:5000/` does not become `//v3`).
 */
export function normaliseKeystoneUrl(authUrl: string): string {
  const base = authUrl.trim().replace(/\/v3\/?$/, '').replace(/\/+$/, '');
  return `${base}/v3`;
}

interface CatalogEntry {
  type?: string;
  endpoints?: { interface?: string; region_id?: string; region?: string; url?: string }[];
}

interface Token {
  value: string;
  expiresAt: number;
  catalog: CatalogEntry[];
}

/** Keystone v3 password auth with token reuse. */
export class KeystoneAuth {
  readonly #credentials: KeystonePasswordCredentials;
  readonly #http: OpenStackHttp;
  readonly #base: string;
  readonly #now: () => number;
  readonly #refreshMarginMs: number;
  #token: Token | undefined;
  #pending: Promise<Token> | undefined;

  /**
   * @param options.refreshMarginMs a token this close to `expires_at` is replaced before use (default 5 min)
   */
  constructor(
    credentials: KeystonePasswordCredentials,
    http: OpenStackHttp,
    options: { now?: () => number; refreshMarginMs?: number } = {},
  ) {
    this.#credentials = credentials;
    this.#http = http;
    this.#base = normaliseKeystoneUrl(credentials.authUrl);
    this.#now = options.now ?? Date.now;
    this.#refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
  }

  /** Keystone's v3 base URL. */
  get baseUrl(): string {
    return this.#base;
  }

  /** A valid token; concurrent callers share one authentication. */
  async token(): Promise<string> {
    return (await this.#current()).value;
  }

  /** Forgets `token` (a service answered 401 to it) so the next call authenticates again. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  /** The URL of `serviceType`'s endpoint in the token's catalog. */
  async endpoint(serviceType: string, selector: EndpointSelector = {}): Promise<string> {
    const wanted = selector.interface ?? 'public';
    const token = await this.#current();
    for (const entry of token.catalog) {
      if (entry.type !== serviceType) continue;
      for (const ep of entry.endpoints ?? []) {
        const region = ep.region_id ?? ep.region;
        if (ep.interface === wanted && ep.url && (selector.region === undefined || region === selector.region)) return ep.url;
      }
    }
    const where = selector.region === undefined ? '' : ` in region ${JSON.stringify(selector.region)}`;
    throw new Error(`Keystone catalog has no ${wanted} endpoint for service type ${JSON.stringify(serviceType)}${where}`);
  }

  /** Every project Keystone lists (the service user needs the right to list them all). */
  async listProjects(): Promise<KeystoneProject[]> {
    const projects: KeystoneProject[] = [];
    let url: URL | undefined = new URL(`${this.#base}/projects`);
    while (url) {
      const body = (await this.#get(url)) as { projects?: unknown; links?: { next?: unknown } };
      if (!Array.isArray(body?.projects)) throw this.#malformed(url, 'GET', 'the response has no "projects" array');
      for (const p of body.projects as { id: string; name: string; parent_id?: string | null }[]) {
        projects.push({ id: p.id, name: p.name, parent_id: p.parent_id ?? null });
      }
      // Keystone only pages when list_limit truncates; follow its link onto our own base URL.
      const next = body.links?.next;
      url = typeof next === 'string' && next !== '' ? new URL(`${this.#base}/projects${new URL(next).search}`) : undefined;
      if (url && url.search === '') url = undefined;
    }
    return projects;
  }

  async #get(url: URL): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      const res = await this.#http.send({ service: 'keystone', method: 'GET', url, headers: { 'X-Auth-Token': token } });
      if (res.status === 401 && attempt === 0) {
        this.invalidate(token);
        continue;
      }
      if (res.status !== 200) throw failure(url, 'GET', res);
      return res.body;
    }
  }

  async #current(): Promise<Token> {
    const token = this.#token;
    if (token && token.expiresAt - this.#refreshMarginMs > this.#now()) return token;
    this.#pending ??= this.#authenticate().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #authenticate(): Promise<Token> {
    const c = this.#credentials;
    const url = new URL(`${this.#base}/auth/tokens`);
    const res = await this.#http.send({
      service: 'keystone',
      method: 'POST',
      url,
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: c.username, domain: { name: c.userDomainName ?? 'Default' }, password: c.password } },
          },
          scope: { project: { name: c.projectName, domain: { name: c.projectDomainName ?? 'Default' } } },
        },
      },
    });
    const value = res.headers.get('x-subject-token');
    if (res.status !== 201 && res.status !== 200) throw failure(url, 'POST', res);
    if (!value) throw this.#malformed(url, 'POST', 'the response has no X-Subject-Token header');
    const body = res.body as { token?: { expires_at?: string; catalog?: CatalogEntry[] } } | undefined;
    const expiresAt = Date.parse(body?.token?.expires_at ?? '');
    this.#token = {
      value,
      // A token without a readable expiry is used for an hour, then replaced.
      expiresAt: Number.isNaN(expiresAt) ? this.#now() + 3_600_000 : expiresAt,
      catalog: body?.token?.catalog ?? [],
    };
    return this.#token;
  }

  #malformed(url: URL, method: string, detail: string): NeutronApiError {
    return new NeutronApiError({ service: 'keystone', method, path: displayPath(url), status: 200, detail, attempts: 1 });
  }
}

function failure(url: URL, method: string, res: JsonResponse): NeutronApiError {
  const { type, message } = serviceErrorOf(res.body, res.text);
  return new NeutronApiError({ service: 'keystone', method, path: displayPath(url), status: res.status, errorType: type, detail: message || res.statusText, attempts: 1 });
}
