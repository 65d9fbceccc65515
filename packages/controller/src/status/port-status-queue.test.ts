/**
 * `PortStatusQueue`: networking-calico's port status queueing (`test_on_port_status_changed`,
 * `test_try_to_update_port_status*`) mapped onto the agent RPC's up/down.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { SILENT_LOGGER, type Logger } from '@percale/daemon';
import { PortStatusQueue, PRIORITY } from './port-status-queue.ts';
import { RecordingAgentRpc as FakeRpc } from './recording-agent-rpc.ts';

test('PortStatusQueue.update() follows networking-calico: live always sends, a replay only when changed', async () => {
  const rpc = new FakeRpc();
  const q = new PortStatusQueue({ rpc, log: SILENT_LOGGER });
  const steps: [string, unknown, 'live' | 'snapshot', string[]][] = [
    ['live up is sent', 'up', 'live', ['up p1@h']],
    ['a replayed duplicate is not', 'up', 'snapshot', []],
    ['a live duplicate is sent again', 'up', 'live', ['up p1@h']],
    ['a replayed change is sent', 'down', 'snapshot', ['down p1@h']],
    ['error is reported down', 'error', 'live', ['down p1@h']],
    ['a deletion is reported down', undefined, 'snapshot', ['down p1@h']],
    ['a replayed deletion of an unknown port is not', undefined, 'snapshot', []],
    ['an unknown status is reported down', 'sideways', 'snapshot', ['down p1@h']],
  ];
  for (const [what, status, priority, expected] of steps) {
    rpc.calls.length = 0;
    q.update('h', 'p1', status, PRIORITY[priority]);
    await q.idle();
    assert.deepEqual(rpc.calls, expected, what);
  }
  await q.stop();
});

test('PortStatusQueue sends live changes before snapshot replays, and each port once with its latest status', async () => {
  const rpc = new FakeRpc();
  const q = new PortStatusQueue({ rpc, log: SILENT_LOGGER, workers: 1 });
  rpc.hold();
  q.update('h', 'first', 'up', PRIORITY.live); // occupies the only worker
  for (const p of ['s1', 's2', 's3']) q.update('h', p, 'up', PRIORITY.snapshot);
  q.update('h', 'l1', 'up', PRIORITY.live);
  q.update('h', 's2', 'down', PRIORITY.live); // promoted, and sent with its latest status
  q.update('h', 'l1', 'down', PRIORITY.live); // still queued: sent once, down
  assert.equal(q.length, 4);
  rpc.release();
  await q.idle();
  assert.deepEqual(rpc.calls, ['up first@h', 'down l1@h', 'down s2@h', 'up s1@h', 'up s3@h']);
  await q.stop();
});

test('PortStatusQueue runs at most `workers` RPCs at once and never two for the same port', async () => {
  const rpc = new FakeRpc();
  const q = new PortStatusQueue({ rpc, log: SILENT_LOGGER, workers: 3 });
  rpc.hold();
  for (let i = 0; i < 12; i++) q.update('h', `p${i}`, 'up', PRIORITY.live);
  q.update('h', 'p0', 'down', PRIORITY.live); // p0 is in flight: queued behind it
  await delay(20);
  assert.equal(rpc.concurrent, 3);
  rpc.release();
  await q.idle();
  assert.equal(rpc.maxConcurrent, 3);
  assert.equal(rpc.calls.length, 13);
  assert.equal(rpc.calls.at(-1), 'down p0@h', 'the newer status is sent after the older one finished');
  await q.stop();
});

test('PortStatusQueue retries a failed RPC after the retry delay', async () => {
  const rpc = new FakeRpc();
  const warnings: string[] = [];
  const log: Logger = { ...SILENT_LOGGER, warn: (msg) => void warnings.push(msg) };
  const q = new PortStatusQueue({ rpc, log, retryDelayMs: 150 });
  rpc.failNext = 1;
  const started = Date.now();
  q.update('h', 'p1', 'up', PRIORITY.live);
  await delay(50);
  assert.deepEqual(rpc.calls, []);
  assert.equal(warnings[0], 'Failed to report port p1 on host h up to Neutron; retrying in 0.15 s');
  await q.idle();
  assert.deepEqual(rpc.calls, ['up p1@h']);
  assert.ok(Date.now() - started >= 140, 'waited for the retry delay');
  assert.deepEqual(q.counters, { sentUp: 1, sentDown: 0, failures: 1 });
  await q.stop();
});

test('PortStatusQueue.stop() drops pending retries and waits for running RPCs', async () => {
  const rpc = new FakeRpc();
  const q = new PortStatusQueue({ rpc, log: SILENT_LOGGER, retryDelayMs: 50 });
  rpc.failNext = 1;
  q.update('h', 'p1', 'up', PRIORITY.live);
  await delay(10);
  rpc.hold();
  q.update('h', 'p2', 'up', PRIORITY.live);
  const stopped = q.stop();
  rpc.release();
  await stopped;
  await delay(100);
  assert.deepEqual(rpc.calls, ['up p2@h'], 'p1 is not retried after stop()');
  q.update('h', 'p3', 'up', PRIORITY.live);
  await delay(20);
  assert.deepEqual(rpc.calls, ['up p2@h'], 'nothing is sent after stop()');
});

test('PortStatusQueue() rejects a worker count below 1', () => {
  for (const workers of [0, -1, 1.5]) assert.throws(() => new PortStatusQueue({ rpc: new FakeRpc(), log: SILENT_LOGGER, workers }), RangeError);
});
