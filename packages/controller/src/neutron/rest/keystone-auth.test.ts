/**
 * Unit tests of Keystone v3 password auth, alone and under NeutronRestClient, against a scripted
 * Keystone + Neutron on 127.0.0.1: URL normalisation, token reuse, refresh before expiry and
 * after 401, catalog endpoint choice and the project list.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KeystoneAuth, normaliseKeystoneUrl } from './keystone-auth.ts';
import { NeutronApiError } from './neutron-api-error.ts';
import { NeutronRestClient } from './neutron-rest-client.ts';
import { OpenStackHttp } from './openstack-http.ts';

describe('normaliseKeystoneUrl()', () => {
  for (const [input, expected] of [
    ['http://ks:5000', 'http://ks:5000/v3'],
    ['http://ks:5000/', 'http://ks:5000/v3'],
    ['http://ks:5000/v3', 'http://ks:5000/v3'],
    ['http://ks:5000/v3/', 'http://ks:5000/v3'],
    ['https://cloud/identity/v3', 'https://cloud/identity/v3'],
    ['https://cloud/identity', 'https://cloud/identity/v3'],
  ]) {
    it(`normaliseKeystoneUrl() turns ${input} into ${expected}`, () => assert.equal(normaliseKeystoneUrl(input!), expected));
  }
});

/** A fake Keystone (tokens, catalog, projects) and Neutron (ports) sharing one port. */
async function fakeCloud() {
  const state = {
    issued: 0,
    authBodies: [] as unknown[],
    valid: new Set<string>(),
    expiresInMs: 3_600_000,
    log: [] as string[],
    base: '',
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    let text = '';
    req.on('data', (c: Buffer) => (text += c));
    req.on('end', () => {
      const token = req.headers['x-auth-token'] as string | undefined;
      state.log.push(`${req.method} ${url.pathname}${url.search} ${token ?? '-'}`);
      if (req.method === 'POST' && url.pathname === '/identity/v3/auth/tokens') {
        const body = JSON.parse(text);
        state.authBodies.push(body);
        if (body.auth.identity.password.user.password !== 'pw') {
          reply(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
          return;
        }
        const value = `tok${++state.issued}`;
        state.valid.add(value);
        const endpoints = [
          { interface: 'public', region_id: 'RegionOne', url: `${state.base}/public-neutron` },
          { interface: 'internal', region_id: 'RegionOne', url: `${state.base}/internal-neutron/` },
          { interface: 'internal', region_id: 'RegionTwo', url: `${state.base}/two-neutron` },
        ];
        reply(201, {
          token: {
            expires_at: new Date(Date.now() + state.expiresInMs).toISOString(),
            catalog: [{ type: 'identity', endpoints: [] }, { type: 'network', endpoints }],
          },
        }, { 'X-Subject-Token': value });
        return;
      }
      if (!token || !state.valid.has(token)) {
        reply(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
        return;
      }
      if (url.pathname === '/identity/v3/projects') {
        if (!url.searchParams.has('marker')) {
          reply(200, {
            projects: [{ id: 'p1', name: 'admin', parent_id: 'default' }, { id: 'p2', name: 'demo' }],
            links: { next: `http://keystone.example/identity/v3/projects?marker=p2` },
          });
        } else {
          reply(200, { projects: [{ id: 'p3', name: 'child', parent_id: 'p2' }], links: { next: null } });
        }
        return;
      }
      if (url.pathname.endsWith('/v2.0/ports')) {
        reply(200, { ports: [{ id: url.pathname.split('/')[1] }] });
        return;
      }
      reply(404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const credentials = (base: string) => ({
  authUrl: `${base}/identity/v3/`,
  username: 'neutron',
  password: 'pw',
  userDomainName: 'Default',
  projectName: 'service',
  projectDomainName: 'Default',
});

describe('KeystoneAuth', () => {
  let cloud: Awaited<ReturnType<typeof fakeCloud>>;
  before(async () => {
    cloud = await fakeCloud();
  });
  after(() => cloud.close());
  beforeEach(() => {
    cloud.state.log.length = 0;
    cloud.state.authBodies.length = 0;
    cloud.state.expiresInMs = 3_600_000;
  });

  it('token() sends a project-scoped password request and shares one token between concurrent callers', async () => {
    const auth = new KeystoneAuth(credentials(cloud.state.base), new OpenStackHttp());
    const tokens = await Promise.all([auth.token(), auth.token(), auth.token()]);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(await auth.token(), tokens[0]);
    assert.equal(cloud.state.authBodies.length, 1);
    assert.deepEqual(cloud.state.authBodies[0], {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'neutron', domain: { name: 'Default' }, password: 'pw' } } },
        scope: { project: { name: 'service', domain: { name: 'Default' } } },
      },
    });
  });

  it('token() authenticates again when the token is within the refresh margin of expiring', async () => {
    cloud.state.expiresInMs = 60_000;
    const auth = new KeystoneAuth(credentials(cloud.state.base), new OpenStackHttp(), { refreshMarginMs: 120_000 });
    const first = await auth.token();
    const second = await auth.token();
    assert.notEqual(first, second);
    assert.equal(cloud.state.authBodies.length, 2);
  });

  it('token() rejects bad credentials with Keystone\'s message', async () => {
    const auth = new KeystoneAuth({ ...credentials(cloud.state.base), password: 'wrong' }, new OpenStackHttp());
    await assert.rejects(auth.token(), (err: unknown) => {
      assert.ok(err instanceof NeutronApiError);
      assert.equal(err.message, 'Keystone request POST /identity/v3/auth/tokens failed: HTTP 401 Unauthorized: "The request you have made requires authentication."');
      return true;
    });
  });

  it('endpoint() picks the catalog entry by interface and region', async () => {
    const auth = new KeystoneAuth(credentials(cloud.state.base), new OpenStackHttp());
    assert.equal(await auth.endpoint('network'), `${cloud.state.base}/public-neutron`);
    assert.equal(await auth.endpoint('network', { interface: 'internal', region: 'RegionTwo' }), `${cloud.state.base}/two-neutron`);
    await assert.rejects(auth.endpoint('network', { interface: 'admin' }), /no admin endpoint for service type "network"/);
  });

  it('listProjects() follows Keystone\'s next link on its own base URL and defaults parent_id to null', async () => {
    const auth = new KeystoneAuth(credentials(cloud.state.base), new OpenStackHttp());
    assert.deepEqual(await auth.listProjects(), [
      { id: 'p1', name: 'admin', parent_id: 'default' },
      { id: 'p2', name: 'demo', parent_id: null },
      { id: 'p3', name: 'child', parent_id: 'p2' },
    ]);
    assert.ok(cloud.state.log.some((l) => l.startsWith('GET /identity/v3/projects?marker=p2 ')));
  });

  it('NeutronRestClient uses the catalog endpoint and replaces a token Neutron refuses with 401', async () => {
    const client = new NeutronRestClient({ auth: { type: 'password', ...credentials(cloud.state.base), interface: 'internal', region: 'RegionOne' } });
    assert.deepEqual((await client.listPorts()).map((p) => p.id), ['internal-neutron']);
    // Keystone revokes every token; the next request gets 401 once, then succeeds with a new token.
    cloud.state.valid.clear();
    assert.deepEqual((await client.listPorts()).map((p) => p.id), ['internal-neutron']);
    const portRequests = cloud.state.log.filter((l) => l.startsWith('GET /internal-neutron/v2.0/ports'));
    assert.equal(portRequests.length, 3);
    assert.notEqual(portRequests[1]!.split(' ').at(-1), portRequests[2]!.split(' ').at(-1));
    assert.equal(cloud.state.authBodies.length, 2);
    assert.equal((await client.listProjects()).length, 3);
  });
});
