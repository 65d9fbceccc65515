/**
 * @percale/controller: the Neutron controller, which keeps one region's namespace in the shared
 * datastore equal to what that region's Neutron says and reports compute-host status back.
 * @module
 */
export type * from './neutron/types.ts';
export { FELIX_AGENT_TYPE, FELIX_AGENT_BINARY } from './neutron/types.ts';
export { NeutronController, type NeutronControllerOptions, type Elector, type StatusReporter } from './app/neutron-controller.ts';
export { runResync, type ResyncOptions, type ResyncObserver } from './sync/resync.ts';
export { fullScope, isFullScope, sortedJson, type ResyncResult, type ResyncScope, type ResourcePhaseSummary } from './sync/resync-result.ts';
export { DynamicSync, type SyncOutcome } from './sync/dynamic-sync.ts';
export { NotificationRouter } from './sync/notification-router.ts';
export type { SyncEnv } from './sync/sync-env.ts';
