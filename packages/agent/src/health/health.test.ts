/**
 * Health: the aggregator's Felix semantics (timeouts, what each reporter reports, overrides)
 * and the /liveness and /readiness endpoints over loopback HTTP.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CALCULATION_GRAPH, DATAPLANE_MAIN_LOOP, FELIX_STARTUP, goDuration, HealthAggregator } from './health-aggregator.ts';
import { startHealthServer } from './health-server.ts';

function agentHealth() {
  let now = 0;
  const h = new HealthAggregator(() => now);
  h.registerReporter(FELIX_STARTUP, { live: true, ready: true }, 0);
  h.registerReporter(CALCULATION_GRAPH, { live: true, ready: true }, 30_000);
  h.registerReporter(DATAPLANE_MAIN_LOOP, { live: true, ready: true }, 90_000);
  return { h, advance: (ms: number) => (now += ms) };
}

describe('HealthAggregator', () => {
  test('HealthAggregator starts live and not ready', () => {
    const s = agentHealth().h.summary();
    assert.equal(s.live, true);
    assert.equal(s.ready, false);
  });

  test('HealthAggregator is ready once every readiness reporter says so', () => {
    const { h } = agentHealth();
    h.report(FELIX_STARTUP, { live: true, ready: true });
    h.report(CALCULATION_GRAPH, { live: true, ready: true });
    assert.equal(h.summary().ready, false);
    h.report(DATAPLANE_MAIN_LOOP, { live: true, ready: true });
    assert.equal(h.summary().ready, true);
  });

  test('HealthAggregator turns non-live when a reporter times out, and names it', () => {
    const { h, advance } = agentHealth();
    for (const n of [FELIX_STARTUP, CALCULATION_GRAPH, DATAPLANE_MAIN_LOOP]) h.report(n, { live: true, ready: true });
    advance(31_000);
    const s = h.summary();
    assert.equal(s.live, false);
    assert.equal(s.ready, false);
    assert.match(s.detail, /\| CalculationGraph +\| 30s +\| timed out +\| timed out +\|/);
    assert.match(s.detail, /\| FelixStartup +\| - +\| reporting live +\| reporting ready +\|/);
  });

  test('HealthAggregator applies HealthTimeoutOverrides', () => {
    const { h, advance } = agentHealth();
    for (const n of [FELIX_STARTUP, CALCULATION_GRAPH, DATAPLANE_MAIN_LOOP]) h.report(n, { live: true, ready: true });
    h.setTimeoutOverrides({ CalculationGraph: 60 });
    advance(31_000);
    assert.equal(h.summary().live, true);
    assert.match(h.summary().detail, /1m0s \(override\)/);
  });

  test('HealthAggregator ignores readiness from a reporter that reports only liveness', () => {
    const h = new HealthAggregator(() => 0);
    h.registerReporter('OnlyLive', { live: true, ready: false }, 0);
    assert.deepEqual([h.summary().live, h.summary().ready], [true, true]);
    h.report('OnlyLive', { live: false, ready: false });
    assert.deepEqual([h.summary().live, h.summary().ready], [false, true]);
  });

  test('goDuration() prints like Go', () => {
    assert.deepEqual([0, 500, 30_000, 90_000, 3_600_000, 1_500].map(goDuration), ['0s', '500ms', '30s', '1m30s', '1h0m0s', '1.5s']);
  });
});

describe('startHealthServer()', () => {
  test('startHealthServer() answers /liveness and /readiness with 200/503 and the table', async () => {
    const { h } = agentHealth();
    const server = await startHealthServer(h, '127.0.0.1', 0);
    try {
      const base = `http://127.0.0.1:${server.port}`;
      let res = await fetch(`${base}/liveness`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^\+-+\+/);
      res = await fetch(`${base}/readiness`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /reporting non-ready/);
      for (const n of [FELIX_STARTUP, CALCULATION_GRAPH, DATAPLANE_MAIN_LOOP]) h.report(n, { live: true, ready: true });
      res = await fetch(`${base}/readiness`);
      assert.equal(res.status, 200);
      await res.text();
      res = await fetch(`${base}/other`);
      assert.equal(res.status, 404);
      await res.text();
    } finally {
      await server.close();
    }
  });

  test('startHealthServer() answers 204 when no component is registered', async () => {
    const server = await startHealthServer(new HealthAggregator(), '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/readiness`);
      assert.equal(res.status, 204);
    } finally {
      await server.close();
    }
  });

  test('startHealthServer() rejects when the port is taken', async () => {
    const first = await startHealthServer(new HealthAggregator(), '127.0.0.1', 0);
    try {
      await assert.rejects(startHealthServer(new HealthAggregator(), '127.0.0.1', first.port), /EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
