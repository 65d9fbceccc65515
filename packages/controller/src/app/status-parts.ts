/**
 * The status side of a leadership term: Neutron's agent RPC client and the bridge that feeds
 * it Felix heartbeats and endpoint status. Built per term, so a new leader starts from a fresh
 * snapshot and a fresh RabbitMQ connection.
 * @module
 */
import type { Logger } from '@percale/daemon';
import type { ControllerConfig } from '../config/index.ts';
import type { NeutronAgentRpc } from '../neutron/types.ts';
import { StatusBridge } from '../status/status-bridge.ts';
import type { SyncEnv } from '../sync/sync-env.ts';
import type { StatusReporter } from './neutron-controller.ts';

/** Builds an agent RPC client for `[DEFAULT] transport_url` (OsloRpcClient in production). */
export type RpcFactory = (config: ControllerConfig, log: Logger) => NeutronAgentRpc;

/**
 * The per-term factory of status parts, or undefined when no RPC transport is configured
 * (status reporting then stays off, with a warning).
 */
export function createStatusParts(
  config: ControllerConfig,
  env: SyncEnv,
  log: Logger,
  rpcFactory?: RpcFactory,
): (() => { rpc: NeutronAgentRpc; reporter: StatusReporter }) | undefined {
  if (config.messaging.rpc.transportUrl === undefined || rpcFactory === undefined) {
    log.warn('Felix status is not reported to Neutron: no agent RPC transport', { transportUrl: config.messaging.rpc.transportUrl ?? '' });
    return undefined;
  }
  return () => {
    const rpc = rpcFactory(config, log);
    return { rpc, reporter: new StatusBridge({ kv: env.kv, rpc, regionString: config.regionString, log }) };
  };
}
