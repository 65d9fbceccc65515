/**
 * The agent's Prometheus metrics, under Felix's names so existing dashboards and alerts keep
 * working (docs/design/agent.md lists the mapping). Components update them through the typed
 * `AgentMetrics` object the composition root hands out; process and runtime collectors are
 * optional, as PrometheusProcessMetricsEnabled / PrometheusGoMetricsEnabled say.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { exponentialBuckets, Registry, type Counter, type Gauge, type Histogram } from './registry.ts';

/** Every metric the agent publishes. */
export interface AgentMetrics {
  readonly registry: Registry;
  host: Gauge;
  activeLocalEndpoints: Gauge;
  activeLocalPolicies: Gauge;
  activeLocalSelectors: Gauge;
  clusterNumHosts: Gauge;
  clusterNumWorkloadEndpoints: Gauge;
  clusterNumPolicies: Gauge;
  clusterNumProfiles: Gauge;
  calcGraphUpdateTime: Histogram;
  calcGraphUpdatesProcessed: Counter;
  calcGraphOutputEvents: Counter;
  resyncState: Gauge;
  resyncsStarted: Counter;
  dataplaneApplyTime: Histogram;
  dataplaneInitialResyncTime: Gauge;
  dataplaneFailures: Counter;
  dataplaneMessages: Counter;
  dataplaneMsgBatchSize: Histogram;
  nftCalls: Counter;
  nftErrors: Counter;
  nftListCalls: Counter;
  routeTableResyncTime: Histogram;
  routeTableNumRoutes: Gauge;
  routeTableNumIfaces: Gauge;
  statusReportsWritten: Counter;
}

export interface AgentMetricsOptions {
  hostname: string;
  processMetrics?: boolean;
  runtimeMetrics?: boolean;
}

/** `felix_resync_state` values. */
export const RESYNC_STATE = { 'wait-for-datastore': 1, 'resync-in-progress': 2, 'in-sync': 3 } as const;

const TIME_BUCKETS = exponentialBuckets(0.001, 2, 15); // 1 ms … 16 s

/** Creates the registry with every agent metric. */
export function createAgentMetrics(options: AgentMetricsOptions): AgentMetrics {
  const r = new Registry();
  const m: AgentMetrics = {
    registry: r,
    host: r.gauge('felix_host', 'Configured Felix hostname (as a label), typically used in grouping/aggregating stats; the label defaults to the hostname of the host but can be overridden by configuration. The value of the gauge is always set to 1.', ['host']),
    activeLocalEndpoints: r.gauge('felix_active_local_endpoints', 'Number of active endpoints on this host.'),
    activeLocalPolicies: r.gauge('felix_active_local_policies', 'Number of active policies on this host.'),
    activeLocalSelectors: r.gauge('felix_active_local_selectors', 'Number of active selectors on this host.'),
    clusterNumHosts: r.gauge('felix_cluster_num_hosts', 'Total number of Calico hosts in the cluster.'),
    clusterNumWorkloadEndpoints: r.gauge('felix_cluster_num_workload_endpoints', 'Total number of workload endpoints cluster-wide.'),
    clusterNumPolicies: r.gauge('felix_cluster_num_policies', 'Total number of policies in the cluster.'),
    clusterNumProfiles: r.gauge('felix_cluster_num_profiles', 'Total number of profiles in the cluster.'),
    calcGraphUpdateTime: r.histogram('felix_calc_graph_update_time_seconds', 'Seconds to update calculation graph for each datastore OnUpdate call.', TIME_BUCKETS),
    calcGraphUpdatesProcessed: r.counter('felix_calc_graph_updates_processed', 'Number of datastore updates processed by the calculation graph.', ['type']),
    calcGraphOutputEvents: r.counter('felix_calc_graph_output_events', 'Number of events emitted by the calculation graph.'),
    resyncState: r.gauge('felix_resync_state', 'Current datastore state (1 waiting for the datastore, 2 resyncing, 3 in sync).'),
    resyncsStarted: r.counter('felix_resyncs_started', 'Number of times Felix has started resyncing with the datastore.'),
    dataplaneApplyTime: r.histogram('felix_int_dataplane_apply_time_seconds', 'Time in seconds that it took to apply a dataplane update.', TIME_BUCKETS),
    dataplaneInitialResyncTime: r.gauge('felix_int_dataplane_initial_resync_time_seconds', 'Time in seconds that it took to do the initial resync with the dataplane.'),
    dataplaneFailures: r.counter('felix_int_dataplane_failures', 'Number of times dataplane updates failed and will be retried.'),
    dataplaneMessages: r.counter('felix_int_dataplane_messages', 'Number dataplane messages by type.', ['type']),
    dataplaneMsgBatchSize: r.histogram('felix_int_dataplane_msg_batch_size', 'Number of messages processed in each batch.', [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000]),
    nftCalls: r.counter('felix_nft_calls', 'Number of nft transactions run.'),
    nftErrors: r.counter('felix_nft_errors', 'Number of nft transactions that failed.'),
    nftListCalls: r.counter('felix_nft_list_calls', 'Number of nft list (read-back) calls.'),
    routeTableResyncTime: r.histogram('felix_route_table_resync_seconds', 'Time taken to resync a route table.', TIME_BUCKETS),
    routeTableNumRoutes: r.gauge('felix_route_table_num_routes', 'Number of routes that Felix is managing in the route table.'),
    routeTableNumIfaces: r.gauge('felix_route_table_num_ifaces', 'Number of interfaces that Felix is monitoring in the route table.'),
    statusReportsWritten: r.counter('percale_agent_status_reports_written', 'Heartbeats written to the datastore (no Felix counterpart).'),
  };
  m.host.set(1, { host: options.hostname });
  if (options.processMetrics ?? true) addProcessMetrics(r);
  if (options.runtimeMetrics ?? true) addRuntimeMetrics(r);
  return m;
}

/** Prometheus's standard `process_*` collector, from Node and /proc. */
function addProcessMetrics(r: Registry): void {
  const cpu = r.gauge('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
  const start = r.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.');
  const rss = r.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  const vsz = r.gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.');
  const fds = r.gauge('process_open_fds', 'Number of open file descriptors.');
  const maxFds = r.gauge('process_max_fds', 'Maximum number of open file descriptors.');
  start.set(Math.round(Date.now() / 1000 - process.uptime()));
  r.onCollect(() => {
    const u = process.cpuUsage();
    cpu.set((u.user + u.system) / 1e6);
    rss.set(process.memoryUsage.rss());
    try {
      const status = readFileSync('/proc/self/status', 'utf8');
      const vm = /^VmSize:\s+(\d+) kB/m.exec(status);
      if (vm) vsz.set(Number(vm[1]) * 1024);
      fds.set(readdirSync('/proc/self/fd').length);
      const limit = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
      if (limit) maxFds.set(Number(limit[1]));
    } catch {
      // Not Linux, or /proc unavailable: leave those gauges as they were.
    }
  });
}

/** Node.js runtime metrics (the counterpart of Felix's go_* collector). */
function addRuntimeMetrics(r: Registry): void {
  const heapTotal = r.gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.');
  const heapUsed = r.gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.');
  const external = r.gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.');
  const version = r.gauge('nodejs_version_info', 'Node.js version info.', ['version']);
  version.set(1, { version: process.version });
  r.onCollect(() => {
    const mem = process.memoryUsage();
    heapTotal.set(mem.heapTotal);
    heapUsed.set(mem.heapUsed);
    external.set(mem.external);
  });
}
