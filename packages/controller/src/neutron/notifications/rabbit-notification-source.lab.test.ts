/**
 * RabbitNotificationSource against a real neutron-server publishing to a real RabbitMQ
 * (test/harness/neutron-lab.ts): the notifications of REST actions arrive in order, malformed
 * messages are dropped, the source fails over along the host list and comes back after the
 * broker closes every connection. Needs root, neutron-server and rabbitmq-server; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { freePort } from '@percale/datastore';
import { neutronLabUnavailable, startNeutronLab, waitUntil, type NeutronLab } from '../../../../../test/harness/neutron-lab.ts';
import type { NeutronNotification } from '../types.ts';
import { RabbitNotificationSource, type NotificationLog, type NotificationSourceStatus } from './rabbit-notification-source.ts';

const exec = promisify(execFile);
const skip = await neutronLabUnavailable();

/** A started source and everything it reported. */
interface Recorder {
  source: RabbitNotificationSource;
  events: NeutronNotification[];
  statuses: NotificationSourceStatus[];
  warnings: string[];
}

async function record(transportUrl: string): Promise<Recorder> {
  const r = { events: [], statuses: [], warnings: [] } as unknown as Recorder;
  const log: NotificationLog = { info: () => {}, warn: (msg, f) => r.warnings.push(`${msg} ${JSON.stringify(f)}`), error: (msg, f) => r.warnings.push(`${msg} ${JSON.stringify(f)}`) };
  r.source = new RabbitNotificationSource({
    transportUrl, reconnectMinDelayMs: 100, reconnectMaxDelayMs: 1_000, log, onStatus: (s) => r.statuses.push(s),
  });
  await r.source.start((n) => r.events.push(n));
  return r;
}

/** Runs rabbitmqctl against the lab's broker, with the node name, cookie home and epmd port it runs with. */
async function rabbitmqctl(lab: NeutronLab, ...args: string[]): Promise<string> {
  for (const pid of lab.rabbit.pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    const env = Object.fromEntries(environ.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    if (!env.RABBITMQ_NODENAME) continue;
    const ctlEnv = { PATH: process.env.PATH, HOME: env.HOME, ERL_EPMD_PORT: env.ERL_EPMD_PORT, ERL_EPMD_ADDRESS: '127.0.0.1', RABBITMQ_NODENAME: env.RABBITMQ_NODENAME };
    return (await exec('/usr/lib/rabbitmq/bin/rabbitmqctl', ['-n', env.RABBITMQ_NODENAME, ...args], { env: ctlEnv, timeout: 30_000 })).stdout;
  }
  throw new Error(`No process of the lab broker (${lab.rabbit.pids.join(', ')}) carries RABBITMQ_NODENAME`);
}

/**
 * A TCP relay to the broker that can go down (every connection cut, new ones refused) and come
 * back on the same port: what a client sees while the broker restarts.
 */
async function brokerRelay(port: number, target: number) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const up = () => new Promise<void>((resolve) => {
    server = createServer((client) => {
      const upstream = createConnection(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  const down = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server!.close(() => resolve());
  });
  await up();
  return { up, down };
}

const of = (r: Recorder, type: string, match: (payload: Record<string, unknown>) => boolean) =>
  r.events.filter((e) => e.eventType === type && match(e.payload));
const portId = (payload: Record<string, unknown>) => (payload.port as { id?: string } | undefined)?.id ?? payload.port_id;

describe('RabbitNotificationSource against a real Neutron and RabbitMQ', { skip, timeout: 300_000 }, () => {
  let lab: NeutronLab;
  let main: Recorder;

  before(async () => {
    lab = await startNeutronLab();
    main = await record(lab.rabbitUrl.replace(/^amqp:/, 'rabbit:'));
  });

  after(async () => {
    await main?.source.close();
    await lab?.stop();
  });

  it('start() consumes from its own queue and reports the broker', () => {
    assert.deepEqual(main.statuses, [{ state: 'connected', broker: `127.0.0.1:${lab.rabbit.port}`, eventsMayHaveBeenMissed: false }]);
    assert.match(main.source.queueName, /^percale-neutron-notifications\./);
  });

  it('delivers the notifications of REST actions in the order Neutron sent them', async () => {
    const { api } = lab;
    const net = await api.createNetwork({ name: 'notified' });
    const subnet = await api.createSubnet(net.id, '10.70.0.0/24');
    const sg = await api.createSecurityGroup('notified');
    const rule = await api.createSecurityGroupRule(sg.id, { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    const port = await api.createPort(net.id, { name: 'vm', host: 'compute-1', security_groups: [sg.id] });
    await api.updatePort(port.id, { name: 'vm-renamed' });
    await api.deletePort(port.id);
    await waitUntil('port.delete.end', () => of(main, 'port.delete.end', (p) => p.port_id === port.id).length === 1, 30_000);

    const ours = main.events.filter((e) => e.eventType.endsWith('.end') && (
      (e.eventType.startsWith('port.') && portId(e.payload) === port.id) ||
      (e.eventType.startsWith('subnet.') && (e.payload.subnet as { id?: string } | undefined)?.id === subnet.id) ||
      (e.eventType.startsWith('security_group_rule.') && (e.payload.security_group_rule as { id?: string } | undefined)?.id === rule.id)));
    assert.deepEqual(ours.map((e) => e.eventType), [
      'subnet.create.end',
      'security_group_rule.create.end',
      'port.create.end',
      'port.update.end',
      'port.delete.end',
    ]);
    const [, ruleEvent, created, updated, deleted] = ours;
    assert.equal((ruleEvent!.payload.security_group_rule as { security_group_id: string }).security_group_id, sg.id);
    assert.equal((created!.payload.port as { 'binding:host_id': string })['binding:host_id'], 'compute-1');
    assert.equal((updated!.payload.port as { name: string }).name, 'vm-renamed');
    assert.equal(deleted!.payload.port_id, port.id);
    // The .start events carry only the request: a create.start has no port id yet.
    assert.equal(of(main, 'port.update.start', (p) => p.id === port.id).length, 1);
    for (const e of ours) {
      assert.match(e.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$/);
      assert.match(e.messageId, /^[0-9a-f-]{32,36}$/);
    }
    const arrivals = main.events.map((e) => e.receivedAt);
    assert.deepEqual(arrivals, [...arrivals].sort((a, b) => a - b));
    assert.ok(arrivals.at(-1)! <= performance.now());
  });

  it('drops a message that is not a notification and goes on with the next', async () => {
    const conn = await amqp.connect(lab.rabbitUrl);
    try {
      const ch = await conn.createChannel();
      ch.publish('neutron', 'notifications.info', Buffer.from('not json'));
      ch.publish('neutron', 'notifications.error', Buffer.from(JSON.stringify({ event_type: 'lab.bare.error', payload: { n: 1 }, message_id: 'm1', timestamp: 't' })));
      await ch.close();
    } finally {
      await conn.close();
    }
    await waitUntil('lab.bare.error', () => main.events.some((e) => e.eventType === 'lab.bare.error'), 10_000);
    assert.deepEqual(main.events.find((e) => e.eventType === 'lab.bare.error')!.payload, { n: 1 });
    assert.ok(main.warnings.some((w) => w.startsWith('Dropping a message that is not a Neutron notification') && w.includes('not JSON')));
  });

  it('fails over to the next host of the transport URL when the first refuses', async () => {
    const dead = await freePort();
    const vhost = new URL(lab.rabbitUrl).pathname;
    const r = await record(`rabbit://guest:guest@127.0.0.1:${dead},guest:guest@127.0.0.1:${lab.rabbit.port}${vhost}`);
    try {
      assert.deepEqual(r.statuses, [{ state: 'connected', broker: `127.0.0.1:${lab.rabbit.port}`, eventsMayHaveBeenMissed: false }]);
      const net = await lab.api.createNetwork({ name: 'failover' });
      await waitUntil('network.create.end', () => of(r, 'network.create.end', (p) => (p.network as { id: string }).id === net.id).length === 1, 30_000);
    } finally {
      await r.source.close();
    }
  });

  it('reconnects after the broker closes every connection and says events may have been missed', async () => {
    const before = main.statuses.length;
    await rabbitmqctl(lab, 'close_all_connections', '-p', decodeURIComponent(new URL(lab.rabbitUrl).pathname.slice(1)), 'percale test');
    await waitUntil('the source to reconnect', () => main.statuses.slice(before).some((s) => s.state === 'connected'), 30_000);
    const after = main.statuses.slice(before);
    assert.deepEqual(after[0], { state: 'disconnected', error: 'Connection closed: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - percale test"', retryInMs: 0 });
    assert.deepEqual(after.at(-1), { state: 'connected', broker: `127.0.0.1:${lab.rabbit.port}`, eventsMayHaveBeenMissed: true });
    // Neutron reconnects on its own; once it does, its notifications reach the new queue.
    const net = await lab.api.createNetwork({ name: 'after-reconnect' });
    const port = await lab.api.createPort(net.id, { name: 'after' });
    await waitUntil('port.create.end after the reconnect', () => of(main, 'port.create.end', (p) => portId(p) === port.id).length === 1, 60_000);
  });

  it('keeps retrying with growing waits while the broker is away, then consumes again', async () => {
    const port = await freePort();
    const relay = await brokerRelay(port, lab.rabbit.port);
    const vhost = new URL(lab.rabbitUrl).pathname;
    const r = await record(`rabbit://guest:guest@127.0.0.1:${port}${vhost}`);
    try {
      await relay.down();
      await waitUntil('three failed rounds', () => r.statuses.filter((s) => s.state === 'disconnected').length >= 4, 30_000);
      await relay.up();
      await waitUntil('the source to reconnect', () => r.statuses.at(-1)?.state === 'connected', 30_000);
      const [first, ...rest] = r.statuses.slice(1);
      assert.equal(first!.state, 'disconnected');
      const waits = rest.filter((s) => s.state === 'disconnected').map((s) => s.retryInMs);
      assert.deepEqual(waits.slice(0, 3), [100, 200, 400]);
      assert.ok(waits.every((w) => w <= 1_000));
      assert.deepEqual(r.statuses.at(-1), { state: 'connected', broker: `127.0.0.1:${port}`, eventsMayHaveBeenMissed: true });
      const conn = await amqp.connect(lab.rabbitUrl);
      const ch = await conn.createChannel();
      ch.publish('neutron', 'notifications.info', Buffer.from(JSON.stringify({ event_type: 'lab.after.restart', payload: {} })));
      await ch.close();
      await conn.close();
      await waitUntil('lab.after.restart', () => r.events.some((e) => e.eventType === 'lab.after.restart'), 10_000);
    } finally {
      await r.source.close();
      await relay.down();
    }
  });

  it('close() stops delivery', async () => {
    const r = await record(lab.rabbitUrl.replace(/^amqp:/, 'rabbit:'));
    await r.source.close();
    const net = await lab.api.createNetwork({ name: 'after-close' });
    await waitUntil('main to see it', () => of(main, 'network.create.end', (p) => (p.network as { id: string }).id === net.id).length === 1, 30_000);
    assert.deepEqual(r.events, []);
    await r.source.close();
  });
});
