/**
 * `StatusBridge` on `MemoryKeyValueStore` (watch failures injected by a wrapper) and on a
 * private etcd: networking-calico's status tests (§11.5) plus the watch-robustness rules
 * of §9.6 (silence, compaction, failed snapshots).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@percale/daemon';
import { CompactedError, EtcdStore, MemoryKeyValueStore, startLocalEtcd, type KeyValueStore, type KeyValueWatchOptions, type LocalEtcd } from '@percale/datastore';
import { felixStatusPrefix } from './felix-status-keys.ts';
import { RecordingAgentRpc } from './recording-agent-rpc.ts';
import { parseStatusTime, StatusBridge, type StatusBridgeOptions } from './status-bridge.ts';

const RS = 'region-europe';
const P = felixStatusPrefix(RS);
const PORT1 = '11111111-aaaa-4bbb-8ccc-000000000001';
const PORT2 = '22222222-aaaa-4bbb-8ccc-000000000002';
const epKey = (host: string, port: string, orch = 'openstack') => `${P}${host}/workload/${orch}/openstack-region-europe%2finstance-${port.slice(0, 4)}/endpoint/${port}`;
const heartbeat = (firstUpdate: boolean, time = new Date().toISOString().replace(/\.\d+Z$/, 'Z')) => JSON.stringify({ time, uptime: 12.5, first_update: firstUpdate });

async function until(what: string, done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug() {},
    info() {},
    warn: (msg) => void lines.push(`WARN ${msg}`),
    error: (msg) => void lines.push(`ERROR ${msg}`),
  };
}

/**
 * A store whose current watches can be made deaf for good (events lost without an error,
 * as on a broken watch), whose next watches fail as compacted, and whose next snapshots fail.
 */
function faultyWatches(kv: KeyValueStore): KeyValueStore & { deafen(): void; failNextWatches: number; failNextSnapshots: number } {
  const live = new Set<{ deaf: boolean }>();
  const faults = {
    failNextWatches: 0,
    failNextSnapshots: 0,
    deafen: () => {
      for (const w of live) w.deaf = true;
    },
  };
  return new Proxy(kv, {
    get(target, prop, receiver) {
      if (prop in faults) return faults[prop as keyof typeof faults];
      if (prop === 'watch') {
        return (prefix: string, options: KeyValueWatchOptions) => {
          if (faults.failNextWatches > 0) {
            faults.failNextWatches--;
            setImmediate(() => options.onError(new CompactedError(options.afterRevision, String(Number(options.afterRevision) + 5))));
            return { stop: async () => undefined };
          }
          const state = { deaf: false };
          live.add(state);
          const watch = target.watch(prefix, { ...options, onEvent: (event) => void (state.deaf || options.onEvent(event)) });
          return { stop: () => (live.delete(state), watch.stop()) };
        };
      }
      if (prop === 'snapshot' && faults.failNextSnapshots > 0) {
        faults.failNextSnapshots--;
        return () => Promise.reject(new Error('etcd is unreachable (injected)'));
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, prop, value) {
      if (prop in faults) {
        (faults as Record<string, unknown>)[prop as string] = value;
        return true;
      }
      return Reflect.set(target, prop, value);
    },
  }) as KeyValueStore & typeof faults;
}

describe('StatusBridge (MemoryKeyValueStore)', () => {
  const bridges: StatusBridge[] = [];
  const bridge = (options: Partial<StatusBridgeOptions> & { kv: KeyValueStore; rpc: RecordingAgentRpc }) => {
    const b = new StatusBridge({ regionString: RS, retryDelayMs: 100, ...options });
    bridges.push(b);
    return b;
  };
  const stopAll = () => Promise.all(bridges.splice(0).map((b) => b.stop()));
  afterEach(stopAll);

  test('start() reports the snapshot: heartbeats as agent state, endpoints up or down, other keys ignored', async () => {
    const kv = new MemoryKeyValueStore();
    const rpc = new RecordingAgentRpc();
    await kv.put(`${P}compute-1/status`, heartbeat(true), { ttlSeconds: 90 });
    await kv.put(`${P}compute-1/last_reported_status`, heartbeat(true));
    await kv.put(`${P}compute-2/status`, heartbeat(false), { ttlSeconds: 90 });
    await kv.put(epKey('compute-1', PORT1), '{"status": "up"}');
    await kv.put(epKey('compute-2', PORT2), '{"status": "down"}');
    await kv.put(epKey('compute-2', 'k8s-thing', 'k8s'), '{"status": "up"}');
    await kv.put('/calico/felix/v2/region-other/host/compute-9/status', heartbeat(true));
    await kv.put(`/calico/felix/v2/region-other/host/compute-9/workload/openstack/w/endpoint/${PORT1}`, '{"status": "up"}');
    const b = bridge({ kv, rpc });
    b.start();
    await until('five reports', () => rpc.calls.length >= 4);
    await b.idle();
    assert.deepEqual([...rpc.calls].sort(), [`down ${PORT2}@compute-2`, 'state compute-1 start', 'state compute-2', `up ${PORT1}@compute-1`].sort());
    await stopAll();
  });

  test('live changes: new heartbeat revisions, endpoint up/down/error, deletion and bad JSON', async () => {
    const kv = new MemoryKeyValueStore();
    const rpc = new RecordingAgentRpc();
    const log = recordingLog();
    const b = bridge({ kv, rpc, log });
    b.start();
    await until('the first snapshot', () => b.stats().snapshots === 1);
    await delay(20);
    const steps: [string, () => Promise<unknown>, string[]][] = [
      ['first heartbeat', () => kv.put(`${P}h1/status`, heartbeat(true), { ttlSeconds: 90 }), ['state h1 start']],
      ['next heartbeat', () => kv.put(`${P}h1/status`, heartbeat(false), { ttlSeconds: 90 }), ['state h1']],
      ['endpoint up', () => kv.put(epKey('h1', PORT1), '{"status": "up"}'), [`up ${PORT1}@h1`]],
      ['endpoint error', () => kv.put(epKey('h1', PORT1), '{"status": "error"}'), [`down ${PORT1}@h1`]],
      ['endpoint up again', () => kv.put(epKey('h1', PORT1), '{"status": "up"}'), [`up ${PORT1}@h1`]],
      ['bad JSON', () => kv.put(epKey('h1', PORT1), '{"status": "up"'), [`down ${PORT1}@h1`]],
      ['endpoint down', () => kv.put(epKey('h1', PORT2), '{"status": "down"}'), [`down ${PORT2}@h1`]],
      ['endpoint deleted', () => kv.delete(epKey('h1', PORT2)), [`down ${PORT2}@h1`]],
      ['heartbeat expired: ports untouched', () => kv.delete(`${P}h1/status`), []],
      ['last_reported_status ignored', () => kv.put(`${P}h1/last_reported_status`, heartbeat(false)), []],
    ];
    for (const [what, act, expected] of steps) {
      rpc.calls.length = 0;
      await act();
      await delay(30);
      await b.idle();
      assert.deepEqual(rpc.calls, expected, what);
    }
    assert.ok(log.lines.includes('ERROR Felix on host h1 failed to check in.'), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => l.startsWith(`ERROR Bad JSON data for port ${PORT1} on host h1`)), log.lines.join('\n'));
    await stopAll();
  });

  test('a silent watch is restarted from a snapshot: vanished endpoints go down, nothing is reported twice', async () => {
    const kv = faultyWatches(new MemoryKeyValueStore());
    const rpc = new RecordingAgentRpc();
    const log = recordingLog();
    await kv.put(`${P}h1/status`, heartbeat(true), { ttlSeconds: 90 });
    await kv.put(epKey('h1', PORT1), '{"status": "up"}');
    await kv.put(epKey('h1', PORT2), '{"status": "up"}');
    // The round-trip writes would keep a deaf watch from being silent only if it heard them.
    const b = bridge({ kv, rpc, log, watchSilenceMs: 300, roundTripIntervalMs: 100 });
    b.start();
    await until('the snapshot reported', () => rpc.calls.length === 3);
    rpc.calls.length = 0;
    kv.deafen(); // the running watch loses events from now on, as when it breaks without an error
    await kv.delete(epKey('h1', PORT2));
    await delay(50);
    assert.deepEqual(rpc.calls, [], 'the deaf watch missed the deletion');
    await until('a second snapshot', () => b.stats().snapshots >= 2, 2_000);
    await delay(50);
    await b.idle();
    assert.deepEqual(rpc.calls, [`down ${PORT2}@h1`], 'only the vanished endpoint is reported; the heartbeat revision and PORT1 are unchanged');
    assert.ok(log.lines.includes('WARN No Felix status events for 0.3 s; restarting the watch from a new snapshot'), log.lines.join('\n'));
    // With the round-trip writes heard, a quiet region no longer restarts.
    const snapshots = b.stats().snapshots;
    await delay(700);
    assert.equal(b.stats().snapshots, snapshots);
    assert.match((await kv.get(`${P}round-trip-check`))?.value ?? '', /^\d+(\.\d+)?$/);
    await stopAll();
  });

  test('a compacted watch and failed snapshots lead to a fresh snapshot with backoff, never a crash', async () => {
    const kv = faultyWatches(new MemoryKeyValueStore());
    const rpc = new RecordingAgentRpc();
    const log = recordingLog();
    await kv.put(epKey('h1', PORT1), '{"status": "up"}');
    kv.failNextSnapshots = 2;
    kv.failNextWatches = 3;
    const b = bridge({ kv, rpc, log });
    const started = Date.now();
    b.start();
    await until('four snapshots', () => b.stats().snapshots >= 4, 5_000);
    const elapsed = Date.now() - started;
    // 100 + 200 ms after the failed snapshots, 400 + 800 + 1600 after the failed watches:
    // the backoff keeps doubling while nothing works.
    assert.ok(elapsed >= 1_000, `restarts backed off (${elapsed} ms)`);
    await kv.put(epKey('h1', PORT2), '{"status": "up"}');
    await until('the live event after recovery', () => rpc.calls.includes(`up ${PORT2}@h1`));
    assert.deepEqual(rpc.calls.filter((c) => c.includes(PORT1)), [`up ${PORT1}@h1`], 'replays did not resend PORT1');
    assert.equal(log.lines.filter((l) => l.startsWith('WARN Failed to read Felix status')).length, 2);
    assert.equal(log.lines.filter((l) => l.startsWith('WARN The Felix status watch failed')).length, 3);
    await stopAll();
  });

  test('RPC failures are retried: agent state at the next snapshot or heartbeat, ports after the retry delay', async () => {
    const kv = new MemoryKeyValueStore();
    const rpc = new RecordingAgentRpc();
    rpc.failNext = 1;
    await kv.put(epKey('h1', PORT1), '{"status": "up"}');
    const b = bridge({ kv, rpc, retryDelayMs: 100 });
    const started = Date.now();
    b.start();
    await until('the port reported after its retry', () => rpc.calls.includes(`up ${PORT1}@h1`));
    assert.ok(Date.now() - started >= 100, 'after the retry delay');
    rpc.failNext = 1;
    await kv.put(`${P}h1/status`, heartbeat(true), { ttlSeconds: 90 });
    await until('the failed heartbeat', () => b.stats().heartbeatFailures === 1);
    await kv.put(`${P}h1/status`, heartbeat(false), { ttlSeconds: 90 });
    await until('the next heartbeat reported', () => rpc.calls.includes('state h1'));
    assert.deepEqual(b.stats(), { snapshots: 1, heartbeatsReported: 1, heartbeatFailures: 1, portsReportedUp: 1, portsReportedDown: 0, portReportFailures: 1 });
    await stopAll();
  });

  test('stale heartbeats are warned about once per 5 minutes, not during a snapshot, and odd times are handled', async () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const kv = new MemoryKeyValueStore();
    await kv.put(`${P}old-at-start/status`, heartbeat(false, '2026-11-21T10:00:00Z'));
    const rpc = new RecordingAgentRpc();
    const log = recordingLog();
    const b = bridge({ kv, rpc, log, now: () => now });
    b.start();
    await until('the snapshot', () => b.stats().snapshots === 1);
    const stale = () => log.lines.filter((l) => l.startsWith('WARN Processing stale Felix status update'));
    const steps: [string, string, string, number][] = [
      ['fresh', 'h1', '2026-11-21T11:59:50Z', 0],
      ['an hour old', 'h1', '2026-11-21T11:00:00Z', 1],
      ['another host, also old: rate-limited', 'h2', '2026-11-21T11:00:00Z', 1],
      ['naive time, an hour old: still rate-limited', 'h3', '2026-11-21T11:00:00', 1],
    ];
    for (const [what, host, time, warnings] of steps) {
      await kv.put(`${P}${host}/status`, heartbeat(false, time));
      await delay(20);
      assert.equal(stale().length, warnings, what);
    }
    assert.equal(stale()[0], 'WARN Processing stale Felix status update for host h1: the update was written 3600s ago (threshold 300s). The status bridge is not keeping up with the rate of updates; consider raising ReportingIntervalSecs and agent_down_time in Neutron / Felix config.');
    await kv.put(`${P}h4/status`, heartbeat(false, 'yesterday'));
    await kv.put(`${P}h5/status`, JSON.stringify({ uptime: 1, first_update: false }));
    await delay(20);
    assert.ok(log.lines.includes('WARN Could not parse status time "yesterday" for host h4'), log.lines.join('\n'));
    now += 300_001;
    await kv.put(`${P}h6/status`, heartbeat(false, '2026-11-21T11:00:00'));
    await delay(20);
    assert.equal(stale().length, 2, 'the unparseable time did not use up the rate limit; five minutes later a naive time warns');
    assert.ok(rpc.calls.includes('state h4') && rpc.calls.includes('state h5'), 'odd times are still reported');
    await stopAll();
  });

  test('parseStatusTime() reads RFC 3339 with Z or an offset, and a time without a zone as UTC', () => {
    const cases: [string, number | undefined][] = [
      ['2025-01-01T12:00:00Z', Date.UTC(2025, 0, 1, 12)],
      ['2025-01-01T12:00:00.250Z', Date.UTC(2025, 0, 1, 12, 0, 0, 250)],
      ['2025-01-01T13:00:00+01:00', Date.UTC(2025, 0, 1, 12)],
      ['2025-01-01T12:00:00', Date.UTC(2025, 0, 1, 12)],
      ['2025-01-01 12:00:00', Date.UTC(2025, 0, 1, 12)],
      ['yesterday', undefined],
      ['2025-13-01T12:00:00Z', undefined],
      ['1735732800', undefined],
    ];
    for (const [text, expected] of cases) assert.equal(parseStatusTime(text), expected, text);
  });

  test('stop() ends reporting; start() again begins from a fresh snapshot and reports the current state', async () => {
    const kv = new MemoryKeyValueStore();
    const rpc = new RecordingAgentRpc();
    await kv.put(`${P}h1/status`, heartbeat(true));
    await kv.put(epKey('h1', PORT1), '{"status": "up"}');
    const b = bridge({ kv, rpc });
    b.start();
    await until('reported', () => rpc.calls.length === 2);
    await b.stop();
    await kv.put(epKey('h1', PORT1), '{"status": "down"}');
    await delay(50);
    assert.equal(rpc.calls.length, 2, 'nothing reported while stopped');
    b.start();
    await until('reported again', () => rpc.calls.length === 4);
    assert.deepEqual(rpc.calls.slice(2).sort(), [`down ${PORT1}@h1`, 'state h1 start'].sort());
    await stopAll();
  });
});

describe('StatusBridge (etcd)', () => {
  let etcd: LocalEtcd | undefined;
  let store: EtcdStore | undefined;
  before(async () => {
    etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-status-test-${randomUUID()}`, removeDataOnStop: true });
    store = new EtcdStore({ endpoints: [etcd.endpoint], dialTimeoutMs: 3_000 });
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
  });

  test('Felix-written keys on etcd reach Neutron: snapshot, live changes, heartbeat lease expiry', async () => {
    const kv = store!.keyValues();
    const rpc = new RecordingAgentRpc();
    const log = recordingLog();
    await kv.put(`${P}compute-1/status`, heartbeat(true), { ttlSeconds: 90 });
    await kv.put(epKey('compute-1', PORT1), '{"status": "up"}');
    const b = new StatusBridge({ kv, rpc, regionString: RS, log });
    b.start();
    await until('the snapshot reported', () => rpc.calls.length === 2);
    await kv.put(`${P}compute-2/status`, heartbeat(true), { ttlSeconds: 1 });
    await kv.put(epKey('compute-2', PORT2), '{"status": "up"}');
    await kv.delete(epKey('compute-1', PORT1));
    await until('the live changes reported', () => rpc.calls.length === 5);
    assert.deepEqual(rpc.calls.slice(2).sort(), [`down ${PORT1}@compute-1`, 'state compute-2 start', `up ${PORT2}@compute-2`].sort());
    await until('the 1 s heartbeat lease expired', () => log.lines.includes('ERROR Felix on host compute-2 failed to check in.'), 5_000);
    assert.equal(rpc.calls.length, 5, 'an expired heartbeat does not touch the ports');
    assert.match((await kv.get(`${P}round-trip-check`))?.value ?? '', /^\d+(\.\d+)?$/);
    await b.stop();
  });

  test('a silent watch on etcd restarts from a snapshot without reporting anything twice', async () => {
    const kv = faultyWatches(store!.keyValues());
    const rpc = new RecordingAgentRpc();
    await kv.put(`${P}compute-3/status`, heartbeat(false), { ttlSeconds: 90 });
    await kv.put(epKey('compute-3', PORT1), '{"status": "up"}');
    const b = new StatusBridge({ kv, rpc, regionString: 'region-europe', watchSilenceMs: 400, roundTripIntervalMs: 100 });
    b.start();
    await until('reported', () => rpc.calls.includes(`up ${PORT1}@compute-3`));
    const before = rpc.calls.length;
    kv.deafen();
    await kv.delete(epKey('compute-3', PORT1));
    await until('restarted', () => b.stats().snapshots >= 2, 3_000);
    await until('the missed deletion reported', () => rpc.calls.includes(`down ${PORT1}@compute-3`));
    await delay(100);
    assert.deepEqual(rpc.calls.slice(before), [`down ${PORT1}@compute-3`]);
    await b.stop();
  });
});
