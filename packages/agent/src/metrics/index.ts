/**
 * Prometheus metrics of the agent: a small registry, Felix's metric families and the server.
 * @module
 */
export { Registry, Counter, Gauge, Histogram, exponentialBuckets, EXPOSITION_CONTENT_TYPE } from './registry.ts';
export { createAgentMetrics, RESYNC_STATE, type AgentMetrics, type AgentMetricsOptions } from './agent-metrics.ts';
export { startMetricsServer, type MetricsServerOptions } from './metrics-server.ts';
