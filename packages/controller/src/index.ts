/**
 * @percale/controller: the Neutron controller, which keeps one region's namespace in the shared
 * datastore equal to what that region's Neutron says and reports compute-host status back.
 * @module
 */
export type * from './neutron/types.ts';
export { FELIX_AGENT_TYPE, FELIX_AGENT_BINARY } from './neutron/types.ts';
