/**
 * Health of the agent: Felix's aggregator model and the /liveness, /readiness server.
 * @module
 */
export { HealthAggregator, CALCULATION_GRAPH, DATAPLANE_MAIN_LOOP, FELIX_STARTUP, goDuration, type HealthReport, type HealthSummary } from './health-aggregator.ts';
export { startHealthServer, type RunningServer } from './health-server.ts';
