/**
 * The master's bridge from Felix's status keys to Neutron's agent RPC (spec §8.3–8.4, §9.6).
 * @module
 */
export { StatusBridge, DEFAULT_WATCH_SILENCE_MS, DEFAULT_ROUND_TRIP_INTERVAL_MS, STALE_STATUS_WARN_SECONDS, type StatusBridgeOptions, type StatusBridgeStats } from './status-bridge.ts';
export { DEFAULT_PORT_STATUS_WORKERS, DEFAULT_PORT_STATUS_RETRY_MS } from './port-status-queue.ts';
export { felixStatusPrefix, roundTripCheckKey, parseFelixStatusKey, type FelixStatusKey } from './felix-status-keys.ts';
export { RecordingAgentRpc } from './recording-agent-rpc.ts';
