/**
 * The syncer: list+watch of v3 resources with clean resyncs, shared by the agent (Felix's
 * syncer), the BGP renderer and the Neutron controller.
 * @module
 */
export { Syncer, type SyncStatus, type ResourceEvent, type SyncerCallbacks, type SyncerOptions } from './syncer.ts';
