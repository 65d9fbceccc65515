/**
 * Metrics: the registry's exposition format, Felix's metric names, and /metrics over
 * loopback HTTP.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAgentMetrics } from './agent-metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { Registry } from './registry.ts';

describe('Registry', () => {
  test('Registry.expose() writes HELP, TYPE and samples in the text format', () => {
    const r = new Registry();
    const c = r.counter('felix_int_dataplane_failures', 'Number of times dataplane updates failed and will be retried.');
    const g = r.gauge('felix_nft_rules', 'Rules.', ['ip_version', 'table']);
    c.inc();
    c.inc(2);
    g.set(12, { ip_version: '4', table: 'filter' });
    g.set(3, { ip_version: '6', table: 'say "hi"\n' });
    assert.equal(
      r.expose(),
      [
        '# HELP felix_int_dataplane_failures Number of times dataplane updates failed and will be retried.',
        '# TYPE felix_int_dataplane_failures counter',
        'felix_int_dataplane_failures 3',
        '# HELP felix_nft_rules Rules.',
        '# TYPE felix_nft_rules gauge',
        'felix_nft_rules{ip_version="4",table="filter"} 12',
        'felix_nft_rules{ip_version="6",table="say \\"hi\\"\\n"} 3',
        '',
      ].join('\n'),
    );
  });

  test('Histogram.observe() fills cumulative buckets, sum and count', () => {
    const r = new Registry();
    const h = r.histogram('felix_int_dataplane_apply_time_seconds', 'Apply time.', [0.1, 1]);
    for (const v of [0.05, 0.5, 0.5, 3]) h.observe(v);
    assert.match(r.expose(), /_bucket\{le="0.1"\} 1\n.*_bucket\{le="1"\} 3\n.*_bucket\{le="\+Inf"\} 4\n.*_sum 4.05\n.*_count 4\n/s);
  });

  test('Registry refuses bad names, duplicate families, wrong labels and decreasing counters', () => {
    const r = new Registry();
    assert.throws(() => r.counter('bad-name', 'x'), TypeError);
    r.counter('ok', 'x');
    assert.throws(() => r.gauge('ok', 'x'), /registered twice/);
    const g = r.gauge('g', 'x', ['a']);
    assert.throws(() => g.set(1), /needs label "a"/);
    assert.throws(() => g.set(1, { a: '1', b: '2' }), /takes labels/);
    assert.throws(() => r.counter('c', 'x').inc(-1), RangeError);
  });
});

describe('createAgentMetrics()', () => {
  test('createAgentMetrics() publishes Felix\'s metric names', () => {
    const m = createAgentMetrics({ hostname: 'compute-1', processMetrics: false, runtimeMetrics: false });
    const text = m.registry.expose();
    for (const name of [
      'felix_int_dataplane_apply_time_seconds', 'felix_calc_graph_update_time_seconds', 'felix_active_local_endpoints', 'felix_active_local_policies',
      'felix_cluster_num_workload_endpoints', 'felix_resync_state', 'felix_int_dataplane_failures', 'felix_nft_calls', 'felix_nft_errors',
      'felix_route_table_num_routes', 'felix_resyncs_started',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.match(text, /^felix_host\{host="compute-1"\} 1$/m);
    assert.doesNotMatch(text, /process_|nodejs_/);
  });

  test('createAgentMetrics() adds process and runtime collectors by default', () => {
    const text = createAgentMetrics({ hostname: 'h' }).registry.expose();
    assert.match(text, /^process_resident_memory_bytes [1-9]\d*$/m);
    assert.match(text, /^process_open_fds [1-9]\d*$/m);
    assert.match(text, /^nodejs_heap_size_used_bytes [1-9]\d*$/m);
  });
});

test('startMetricsServer() serves /metrics over loopback HTTP', async () => {
  const m = createAgentMetrics({ hostname: 'compute-1', processMetrics: false, runtimeMetrics: false });
  m.activeLocalEndpoints.set(7);
  const server = await startMetricsServer(m.registry, { host: '127.0.0.1', port: 0 });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await res.text(), /^felix_active_local_endpoints 7$/m);
    const missing = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(missing.status, 404);
    await missing.text();
  } finally {
    await server.close();
  }
});
