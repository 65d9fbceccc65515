/**
 * OsloRpcClient against a real neutron-server and RabbitMQ (test/harness/neutron-lab.ts) with
 * Percale's ML2 driver: state reports register a live Felix agent, which lets the driver bind
 * ports as taps; device up/down set port status; silence makes the agent dead; and the client's
 * failure modes (no consumer, no reply, lost connection, close) are the documented errors.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as amqp from 'amqplib';
import { neutronLabUnavailable, startNeutronLab, waitUntil, type NeutronLab } from '../../../../../test/harness/neutron-lab.ts';
import { FELIX_AGENT_TYPE } from '../types.ts';
import { NeutronRpcError } from './neutron-rpc-error.ts';
import { openEnvelope } from './oslo-envelope.ts';
import { OsloRpcClient } from './oslo-rpc-client.ts';

const unavailable = await neutronLabUnavailable();
// Short, so the dead-agent case is quick, but above a slow port create on a loaded machine.
const AGENT_DOWN_TIME = 6;

/** A TCP proxy to the broker whose connections the test can cut, to simulate a network failure. */
async function startProxy(targetPort: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    port: address.port,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<NeutronRpcError> {
  const err = await p.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(err instanceof NeutronRpcError, `expected a NeutronRpcError, got ${String(err)}`);
  return err;
}

describe('OsloRpcClient against neutron-server', { skip: unavailable }, () => {
  let lab: NeutronLab;
  let rpc: OsloRpcClient;
  let networkId: string;

  before(async () => {
    lab = await startNeutronLab({ agentDownTime: AGENT_DOWN_TIME });
    rpc = new OsloRpcClient({ transportUrl: lab.rabbitUrl, timeoutMs: 20_000 });
    networkId = (await lab.api.createNetwork()).id;
    await lab.api.createSubnet(networkId, '10.70.0.0/24');
    console.log(`# lab start-up ${JSON.stringify(lab.timings)} ms in ${lab.dir}`);
  });

  after(async () => {
    await rpc?.close();
    await lab?.stop();
  });

  it('reportState() registers the host as a live agent of the Felix type', async () => {
    await rpc.reportState('compute-1', true);
    const waited = await waitUntil('the compute-1 agent', async () => (await lab.api.getAgent('compute-1', FELIX_AGENT_TYPE))?.alive === true, 10_000, 20);
    const agent = await lab.api.getAgent('compute-1', FELIX_AGENT_TYPE);
    assert.equal(agent?.binary, 'calico-felix');
    assert.equal(agent?.topic, 'N/A');
    assert.deepEqual(agent?.configurations, {});
    console.log(`# report_state → agent visible: ${waited} ms`);
  });

  it('a port on a host with a live agent is bound by the percale driver as tap; elsewhere binding fails', async () => {
    await rpc.reportState('compute-1', false);
    const port = await lab.api.createPort(networkId, { host: 'compute-1', mac_address: 'fa:16:3e:12:34:56' });
    assert.equal(port['binding:vif_type'], 'tap');
    assert.deepEqual((port as unknown as Record<string, unknown>)['binding:vif_details'], {
      connectivity: 'legacy', port_filter: true, mac_address: 'fe:16:3e:12:34:56',
    });
    assert.equal(port.status, 'DOWN');
    const orphan = await lab.api.createPort(networkId, { host: 'compute-without-agent' });
    assert.equal(orphan['binding:vif_type'], 'binding_failed');
  });

  it('deviceUp() sets the port ACTIVE and deviceDown() sets it DOWN', async () => {
    await rpc.reportState('compute-1', false);
    const port = await lab.api.createPort(networkId, { host: 'compute-1' });
    const upStart = performance.now();
    await rpc.deviceUp(port.id, 'compute-1');
    const upMs = performance.now() - upStart;
    assert.equal((await lab.api.getPort(port.id))?.status, 'ACTIVE');
    const downStart = performance.now();
    await rpc.deviceDown(port.id, 'compute-1');
    const downMs = performance.now() - downStart;
    assert.equal((await lab.api.getPort(port.id))?.status, 'DOWN');
    const castStart = performance.now();
    await rpc.reportState('compute-1', false);
    console.log(`# update_device_up ${upMs.toFixed(1)} ms, update_device_down ${downMs.toFixed(1)} ms, report_state (confirmed cast) ${(performance.now() - castStart).toFixed(1)} ms`);
  });

  it('deviceUp() for a port bound to another host leaves it alone', async () => {
    await rpc.reportState('compute-1', false);
    const port = await lab.api.createPort(networkId, { host: 'compute-1' });
    await rpc.deviceUp(port.id, 'compute-2');
    assert.equal((await lab.api.getPort(port.id))?.status, 'DOWN');
  });

  it('an agent without reports for agent_down_time shows alive=false', async () => {
    await rpc.reportState('compute-silent', true);
    await waitUntil('compute-silent to be alive', async () => (await lab.api.getAgent('compute-silent', FELIX_AGENT_TYPE))?.alive === true, 10_000, 50);
    const waited = await waitUntil('compute-silent to be dead', async () => (await lab.api.getAgent('compute-silent', FELIX_AGENT_TYPE))?.alive === false,
      (AGENT_DOWN_TIME + 10) * 1000, 200);
    assert.ok(waited >= (AGENT_DOWN_TIME - 1) * 1000, `dead after ${waited} ms, before agent_down_time`);
    const port = await lab.api.createPort(networkId, { host: 'compute-silent' });
    assert.equal(port['binding:vif_type'], 'binding_failed');
  });

  it('reportState() fails CONTROLLER_RPC_UNROUTABLE when no neutron-server consumes the topic', async () => {
    const idle = new OsloRpcClient({ transportUrl: lab.rabbit.url(lab.rabbit.allocateVhost()), timeoutMs: 10_000 });
    try {
      const err = await rejection(idle.reportState('compute-1', false));
      assert.equal(err.code, 'CONTROLLER_RPC_UNROUTABLE');
      assert.match(err.message, /no neutron-server consumes topic 'q-reports-plugin' on exchange 'neutron'/);
    } finally {
      await idle.close();
    }
  });

  it('deviceUp() fails CONTROLLER_RPC_TIMEOUT when the request is queued but never answered', async () => {
    const vhost = lab.rabbit.allocateVhost();
    const conn = await amqp.connect(lab.rabbit.url(vhost));
    const ch = await conn.createChannel();
    await ch.assertExchange('neutron', 'topic', { durable: false });
    await ch.assertQueue('q-plugin', { durable: false });
    await ch.bindQueue('q-plugin', 'neutron', 'q-plugin');
    const client = new OsloRpcClient({ transportUrl: lab.rabbit.url(vhost), timeoutMs: 1_000 });
    try {
      const started = Date.now();
      const err = await rejection(client.deviceUp('p1', 'compute-1'));
      assert.equal(err.code, 'CONTROLLER_RPC_TIMEOUT');
      assert.match(err.message, /update_device_up on topic 'q-plugin' timed out after 1000 ms waiting for the reply/);
      assert.ok(Date.now() - started < 5_000);
    } finally {
      await client.close();
      await conn.close();
    }
  });

  it('deviceUp() reports an exception raised in the server as CONTROLLER_RPC_REMOTE_ERROR', async () => {
    // A stand-in server that answers like oslo's AMQPIncomingMessage.reply() after a raise:
    // default exchange, routing key = the request's _reply_q, failure = serialize_remote_exception().
    const vhost = lab.rabbit.allocateVhost();
    const conn = await amqp.connect(lab.rabbit.url(vhost));
    const ch = await conn.createChannel();
    await ch.assertExchange('neutron', 'topic', { durable: false });
    await ch.assertQueue('q-plugin', { durable: false });
    await ch.bindQueue('q-plugin', 'neutron', 'q-plugin');
    const seen: Array<Record<string, unknown>> = [];
    await ch.consume('q-plugin', (m) => {
      if (!m) return;
      const req = openEnvelope(m.content);
      seen.push(req);
      const failure = JSON.stringify({
        class: 'PortNotFound', module: 'neutron_lib.exceptions', message: 'Port p9 could not be found.',
        tb: ['Traceback (most recent call last):\n', 'neutron_lib.exceptions.PortNotFound: Port p9 could not be found.\n'], args: [], kwargs: {},
      });
      const reply = { result: null, failure, ending: true, _msg_id: req._msg_id, _unique_id: 'feedfacefeedfacefeedfacefeedface' };
      ch.sendToQueue(String(req._reply_q), Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(reply) })),
        { contentType: 'application/json', contentEncoding: 'utf-8' });
    }, { noAck: true });
    const client = new OsloRpcClient({ transportUrl: lab.rabbit.url(vhost), timeoutMs: 10_000 });
    try {
      const err = await rejection(client.deviceUp('p9', 'compute-1'));
      assert.equal(err.code, 'CONTROLLER_RPC_REMOTE_ERROR');
      assert.equal(err.message, 'Neutron update_device_up failed in neutron-server: neutron_lib.exceptions.PortNotFound: Port p9 could not be found.');
      assert.equal(err.remote?.traceback.length, 2);
      assert.equal(err.retryable, false);
      assert.equal(seen.length, 1);
      assert.match(String(seen[0]!._reply_q), /^reply_[0-9a-f]{32}$/);
      assert.deepEqual(seen[0]!.args, { device: 'p9', agent_id: 'percale-controller', host: 'compute-1' });
    } finally {
      await client.close();
      await conn.close();
    }
  });

  it('the client reconnects after the connection is cut and keeps working', async () => {
    const proxy = await startProxy(lab.rabbit.port);
    const url = new URL(lab.rabbitUrl);
    url.port = String(proxy.port);
    const client = new OsloRpcClient({ transportUrl: url.toString(), timeoutMs: 15_000, reconnectDelayMs: { initial: 50, max: 500 } });
    try {
      await client.reportState('compute-proxied', true);
      proxy.cut();
      const port = await lab.api.createPort(networkId, { host: 'compute-proxied' });
      assert.equal(port['binding:vif_type'], 'tap');
      const reconnectStart = performance.now();
      await client.deviceUp(port.id, 'compute-proxied');
      console.log(`# first call after a cut connection: ${(performance.now() - reconnectStart).toFixed(0)} ms`);
      assert.equal((await lab.api.getPort(port.id))?.status, 'ACTIVE');
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('a call in flight when the connection breaks fails CONTROLLER_RPC_CONNECTION_LOST at once', async () => {
    const vhost = lab.rabbit.allocateVhost();
    const conn = await amqp.connect(lab.rabbit.url(vhost));
    const ch = await conn.createChannel();
    await ch.assertExchange('neutron', 'topic', { durable: false });
    await ch.assertQueue('q-plugin', { durable: false });
    await ch.bindQueue('q-plugin', 'neutron', 'q-plugin');
    const proxy = await startProxy(lab.rabbit.port);
    const client = new OsloRpcClient({ transportUrl: `rabbit://guest:guest@127.0.0.1:${proxy.port}/${vhost}`, timeoutMs: 20_000 });
    try {
      const inFlight = rejection(client.deviceUp('p1', 'compute-1'));
      await waitUntil('the request to be queued', async () => (await ch.checkQueue('q-plugin')).messageCount === 1, 5_000, 20);
      const cutAt = Date.now();
      proxy.cut();
      const err = await inFlight;
      assert.equal(err.code, 'CONTROLLER_RPC_CONNECTION_LOST');
      assert.match(err.message, /update_device_up lost its RabbitMQ connection before the reply arrived/);
      assert.ok(Date.now() - cutAt < 5_000);
    } finally {
      await client.close();
      await proxy.close();
      await conn.close();
    }
  });

  it('the client fails over to the next broker of the transport URL', async () => {
    const dead = await startProxy(lab.rabbit.port);
    await dead.close();
    const url = new URL(lab.rabbitUrl);
    const client = new OsloRpcClient({
      transportUrl: `rabbit://guest:guest@127.0.0.1:${dead.port},guest:guest@127.0.0.1:${url.port}${url.pathname}`,
      timeoutMs: 10_000, reconnectDelayMs: { initial: 50, max: 100 },
    });
    try {
      await client.reportState('compute-failover', true);
      await waitUntil('the compute-failover agent', async () => (await lab.api.getAgent('compute-failover', FELIX_AGENT_TYPE))?.alive === true, 10_000, 50);
    } finally {
      await client.close();
    }
  });

  it('close() fails calls in flight with CONTROLLER_RPC_CLOSED and refuses new ones', async () => {
    const vhost = lab.rabbit.allocateVhost();
    const conn = await amqp.connect(lab.rabbit.url(vhost));
    const ch = await conn.createChannel();
    await ch.assertExchange('neutron', 'topic', { durable: false });
    await ch.assertQueue('q-plugin', { durable: false });
    await ch.bindQueue('q-plugin', 'neutron', 'q-plugin');
    const client = new OsloRpcClient({ transportUrl: lab.rabbit.url(vhost), timeoutMs: 10_000 });
    try {
      const inFlight = rejection(client.deviceDown('p1', 'compute-1'));
      // Once the request sits in the queue, the client is only waiting for the reply.
      await waitUntil('the request to be queued', async () => (await ch.checkQueue('q-plugin')).messageCount === 1, 5_000, 20);
      await client.close();
      assert.equal((await inFlight).code, 'CONTROLLER_RPC_CLOSED');
      assert.equal((await rejection(client.reportState('compute-1', false))).code, 'CONTROLLER_RPC_CLOSED');
    } finally {
      await client.close();
      await conn.close();
    }
  });
});
