/**
 * Unit tests of NeutronRestClient against a scripted HTTP server on 127.0.0.1: paging by links,
 * split id filters, field projection, 404s, retries, timeouts and the error it raises.
 * The same client against a real neutron-server is in neutron-rest-client.lab.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NeutronApiError } from './neutron-api-error.ts';
import { NeutronRestClient, neutronBaseUrl } from './neutron-rest-client.ts';

type Handler = (req: IncomingMessage, url: URL) => { status: number; body?: unknown; raw?: string; delayMs?: number; headers?: Record<string, string> };

/** A server whose answers each test scripts; it records every request URL. */
async function scriptedServer() {
  const requests: URL[] = [];
  let handler: Handler = () => ({ status: 500 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://neutron.invalid');
    requests.push(url);
    const answer = handler(req, url);
    const send = () => {
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    handle(h: Handler) {
      handler = h;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const port = (id: string) => ({ id, name: `vm-${id}`, network_id: 'n1', fixed_ips: [] });

describe('NeutronRestClient', () => {
  let server: Awaited<ReturnType<typeof scriptedServer>>;
  let client: NeutronRestClient;
  before(async () => {
    server = await scriptedServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    client = new NeutronRestClient({ url: `${server.url}/v2.0/`, auth: { type: 'noauth' }, pageSize: 2, retryBaseDelayMs: 1, timeoutMs: 2_000 });
  });

  it('listPorts() follows next links, re-rooted on the configured endpoint, until a short page', async () => {
    const all = ['a', 'b', 'c', 'd', 'e'].map(port);
    server.handle((_req, url) => {
      const marker = url.searchParams.get('marker');
      const limit = Number(url.searchParams.get('limit'));
      const start = marker ? all.findIndex((p) => p.id === marker) + 1 : 0;
      const page = all.slice(start, start + limit);
      const links = page.length === limit
        // Neutron builds links from the Host it saw, which need not be reachable from here.
        ? [{ rel: 'next', href: `http://neutron-behind-proxy:9696/v2.0/ports?${new URLSearchParams([...url.searchParams].filter(([k]) => k !== 'marker'))}&marker=${page.at(-1)!.id}` }]
        : [];
      return { status: 200, body: { ports: page, ports_links: links } };
    });
    const ports = await client.listPorts({ hostId: 'compute-1' });
    assert.deepEqual(ports.map((p) => p.id), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(server.requests.map((u) => u.searchParams.get('marker')), [null, 'b', 'd']);
    for (const u of server.requests) {
      assert.equal(u.pathname, '/v2.0/ports');
      assert.equal(u.searchParams.get('binding:host_id'), 'compute-1');
      assert.equal(u.searchParams.get('limit'), '2');
      assert.ok(u.searchParams.getAll('fields').includes('binding:host_id'));
      assert.ok(u.searchParams.getAll('fields').includes('allowed_address_pairs'));
    }
  });

  it('listPorts() stops at a page without a next link even when it is full', async () => {
    server.handle(() => ({ status: 200, body: { ports: [port('a'), port('b')] } }));
    assert.equal((await client.listPorts()).length, 2);
    assert.equal(server.requests.length, 1);
  });

  it('listPorts() fails instead of looping when the next link repeats a marker', async () => {
    server.handle(() => ({ status: 200, body: { ports: [port('a'), port('b')], ports_links: [{ rel: 'next', href: '/v2.0/ports?limit=2&marker=b' }] } }));
    await assert.rejects(client.listPorts(), /does not advance the marker/);
    assert.equal(server.requests.length, 2);
  });

  it('listPorts() splits a long id filter into requests of at most maxFilterValues ids', async () => {
    client = new NeutronRestClient({ url: server.url, auth: { type: 'noauth' }, maxFilterValues: 40, concurrency: 2 });
    const ids = Array.from({ length: 100 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
    server.handle((_req, url) => ({ status: 200, body: { ports: url.searchParams.getAll('id').map(port) } }));
    const ports = await client.listPorts({ ids: [...ids, ids[0]!], networkIds: ['n1'] });
    assert.deepEqual(ports.map((p) => p.id).sort(), ids);
    assert.deepEqual(server.requests.map((u) => u.searchParams.getAll('id').length).sort(), [20, 40, 40]);
    assert.ok(server.requests.every((u) => u.searchParams.getAll('network_id').join() === 'n1'));
    assert.ok(server.requests.every((u) => u.href.length < 2_500));
  });

  it('listPorts() with portShards lists each share of the networks in parallel, then the networks created meanwhile', async () => {
    client = new NeutronRestClient({ url: server.url, auth: { type: 'noauth' }, portShards: 2 });
    const networks = ['n1', 'n2', 'n3'];
    server.handle((_req, url) => {
      if (url.pathname === '/v2.0/networks') {
        const body = { networks: networks.map((id) => ({ id })) };
        // A network appears while the ports are being listed.
        if (!networks.includes('n4')) networks.push('n4');
        return { status: 200, body };
      }
      return { status: 200, body: { ports: url.searchParams.getAll('network_id').map((n) => ({ ...port(`p-${n}`), network_id: n })) } };
    });
    const ports = await client.listPorts({ hostId: 'h1' });
    assert.deepEqual(ports.map((p) => p.id).sort(), ['p-n1', 'p-n2', 'p-n3', 'p-n4']);
    const portQueries = server.requests.filter((u) => u.pathname === '/v2.0/ports');
    assert.deepEqual(portQueries.map((u) => u.searchParams.getAll('network_id').join()).sort(), ['n1,n3', 'n2', 'n4']);
    assert.ok(portQueries.every((u) => u.searchParams.get('binding:host_id') === 'h1'));
    assert.deepEqual(server.requests.filter((u) => u.pathname === '/v2.0/networks').map((u) => u.searchParams.getAll('fields')), [['id'], ['id']]);
  });

  it('listPorts() with portShards and an id filter lists as usual', async () => {
    client = new NeutronRestClient({ url: server.url, auth: { type: 'noauth' }, portShards: 4 });
    server.handle((_req, url) => ({ status: 200, body: { ports: url.searchParams.getAll('id').map(port) } }));
    assert.deepEqual((await client.listPorts({ ids: ['a'] })).map((p) => p.id), ['a']);
    assert.deepEqual(server.requests.map((u) => u.pathname), ['/v2.0/ports']);
  });

  it('listPorts() with an empty id list matches nothing and sends no request', async () => {
    assert.deepEqual(await client.listPorts({ ids: [] }), []);
    assert.deepEqual(await client.listNetworks([]), []);
    assert.equal(server.requests.length, 0);
  });

  it('listSecurityGroups() reads groups whole (no fields=) so their embedded rules come complete', async () => {
    server.handle(() => ({ status: 200, body: { security_groups: [{ id: 'sg1', name: 'web', security_group_rules: [{ id: 'r1' }] }] } }));
    const [sg] = await client.listSecurityGroups(['sg1']);
    assert.deepEqual(sg!.security_group_rules, [{ id: 'r1' }]);
    assert.equal(server.requests[0]!.pathname, '/v2.0/security-groups');
    assert.deepEqual(server.requests[0]!.searchParams.getAll('fields'), []);
    assert.deepEqual(server.requests[0]!.searchParams.getAll('id'), ['sg1']);
  });

  it('projectFields: false asks for whole objects', async () => {
    client = new NeutronRestClient({ url: server.url, auth: { type: 'noauth' }, projectFields: false });
    server.handle(() => ({ status: 200, body: { ports: [] } }));
    await client.listPorts();
    assert.deepEqual(server.requests[0]!.searchParams.getAll('fields'), []);
  });

  it('getPort() resolves undefined for 404 and the object otherwise', async () => {
    server.handle((_req, url) => (url.pathname.endsWith('/p1')
      ? { status: 200, body: { port: port('p1') } }
      : { status: 404, body: { NeutronError: { type: 'PortNotFound', message: 'Port p2 could not be found.', detail: '' } } }));
    assert.equal((await client.getPort('p1'))?.id, 'p1');
    assert.equal(await client.getPort('p2'), undefined);
    assert.equal(server.requests[1]!.pathname, '/v2.0/ports/p2');
  });

  it('getNetwork(), getSubnet() and getSecurityGroup() read their own paths', async () => {
    server.handle((_req, url) => {
      const [, , collection, id] = url.pathname.split('/');
      const one = { networks: 'network', subnets: 'subnet', 'security-groups': 'security_group' }[collection!]!;
      return { status: 200, body: { [one]: { id } } };
    });
    assert.equal((await client.getNetwork('n1'))?.id, 'n1');
    assert.equal((await client.getSubnet('s1'))?.id, 's1');
    assert.equal((await client.getSecurityGroup('g1'))?.id, 'g1');
  });

  it('listFloatingIps() and listQosPolicies() list nothing when their extension is not loaded (404)', async () => {
    server.handle(() => ({ status: 404, raw: '404 Not Found\n\nThe resource could not be found.' }));
    assert.deepEqual(await client.listFloatingIps({ portIds: ['p1'] }), []);
    assert.deepEqual(await client.listQosPolicies(), []);
    assert.equal(server.requests[0]!.searchParams.get('port_id'), 'p1');
    assert.equal(server.requests[1]!.pathname, '/v2.0/qos/policies');
  });

  it('listNetworks() fails on 404 of a core collection with NeutronApiError', async () => {
    server.handle(() => ({ status: 404, raw: 'The resource could not be found.' }));
    await assert.rejects(client.listNetworks(), (err: unknown) => {
      assert.ok(err instanceof NeutronApiError);
      assert.equal(err.status, 404);
      assert.equal(err.retryable, false);
      return true;
    });
  });

  it('listSubnets() retries 503 and returns what a later attempt gets', async () => {
    let calls = 0;
    server.handle(() => (++calls < 3 ? { status: 503, raw: 'busy' } : { status: 200, body: { subnets: [{ id: 's1' }] } }));
    assert.deepEqual((await client.listSubnets()).map((s) => s.id), ['s1']);
    assert.equal(calls, 3);
  });

  it('listSubnets() waits as long as a 429 Retry-After asks, within retryMaxDelayMs', async () => {
    client = new NeutronRestClient({ url: server.url, auth: { type: 'noauth' }, retryBaseDelayMs: 1, retryMaxDelayMs: 300 });
    const at: number[] = [];
    server.handle(() => {
      at.push(performance.now());
      return at.length === 1 ? { status: 429, raw: 'slow down', headers: { 'Retry-After': '60' } } : { status: 200, body: { subnets: [] } };
    });
    assert.deepEqual(await client.listSubnets(), []);
    const waited = at[1]! - at[0]!;
    assert.ok(waited >= 280 && waited < 2_000, `waited ${waited} ms`);
  });

  it('listPorts() gives up after the retries with an error naming method, path, status and Neutron\'s message', async () => {
    server.handle(() => ({ status: 500, body: { NeutronError: { type: 'HTTPInternalServerError', message: 'Request Failed: internal server error while processing your request.', detail: '' } } }));
    await assert.rejects(client.listPorts({ hostId: 'h1' }), (err: unknown) => {
      assert.ok(err instanceof NeutronApiError);
      assert.equal(err.code, 'CONTROLLER_NEUTRON_API_FAILED');
      assert.equal(err.message,
        'Neutron request GET /v2.0/ports?binding:host_id=h1&limit=2 failed after 4 attempts: HTTP 500 HTTPInternalServerError: ' +
        '"Request Failed: internal server error while processing your request."');
      assert.equal(err.retryable, true);
      return true;
    });
    assert.equal(server.requests.length, 4);
  });

  it('listPorts() does not retry a 400 and reports Neutron\'s message', async () => {
    server.handle(() => ({ status: 400, body: { NeutronError: { type: 'HTTPBadRequest', message: "['bogus'] is invalid attribute for filtering", detail: '' } } }));
    await assert.rejects(client.listPorts(), /failed: HTTP 400 HTTPBadRequest: "\['bogus'\] is invalid attribute for filtering"$/);
    assert.equal(server.requests.length, 1);
  });

  it('getPort() times out each attempt and reports no response', async () => {
    client = new NeutronRestClient({ url: server.url, auth: { type: 'noauth' }, timeoutMs: 50, retries: 1, retryBaseDelayMs: 1 });
    server.handle(() => ({ status: 200, body: { port: port('p1') }, delayMs: 500 }));
    await assert.rejects(client.getPort('p1'), (err: unknown) => {
      assert.ok(err instanceof NeutronApiError);
      assert.equal(err.status, undefined);
      assert.equal(err.attempts, 2);
      assert.match(err.message, /^Neutron request GET \/v2.0\/ports\/p1 failed after 2 attempts: no response: ".*timeout.*"$/i);
      return true;
    });
  });

  it('listNetworks() retries a refused connection, then reports it', async () => {
    const closed = await scriptedServer();
    await closed.close();
    client = new NeutronRestClient({ url: closed.url, auth: { type: 'noauth' }, retries: 2, retryBaseDelayMs: 1 });
    await assert.rejects(client.listNetworks(), /failed after 3 attempts: no response: "fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+"/);
  });

  it('listProjects() resolves [] under noauth without asking anyone', async () => {
    assert.deepEqual(await client.listProjects(), []);
    assert.equal(server.requests.length, 0);
  });

  it('rejects options that cannot work', () => {
    assert.throws(() => new NeutronRestClient({ auth: { type: 'noauth' } }), /"url" is required with noauth/);
    assert.throws(() => new NeutronRestClient({ url: server.url, auth: { type: 'noauth' }, pageSize: 0, portShards: 1.5 }), /pageSize 0, portShards 1.5 must be a whole number of at least 1/);
  });
});

describe('neutronBaseUrl()', () => {
  for (const [input, expected] of [
    ['http://c:9696', 'http://c:9696'],
    ['http://c:9696/', 'http://c:9696'],
    ['http://c:9696/v2.0', 'http://c:9696'],
    ['http://c:9696/v2.0/', 'http://c:9696'],
    ['https://c/network', 'https://c/network'],
  ]) {
    it(`neutronBaseUrl() turns ${input} into ${expected}`, () => assert.equal(neutronBaseUrl(input!), expected));
  }
});
