/**
 * The LiveMigration resource written while Nova migrates a VM (spec §3.2 K3, §10.3): named
 * after the destination endpoint, it tells Felix which endpoint moves from where to where,
 * in Felix's v1 endpoint identity (`workloadID` is `<namespace>/<device id>`).
 * @module
 */
import type { Resource } from '@percale/api';
import type { NeutronPort } from '../neutron/types.ts';
import { API_VERSION, ORCHESTRATOR } from './constants.ts';
import { endpointName } from './endpoint-name.ts';

/** One side of a migration: Felix's identity of the endpoint at a host. */
export type LiveMigrationEndpoint = {
  hostname: string;
  orchestratorID: string;
  workloadID: string;
  endpointID: string;
};

/** The LiveMigration spec. */
export type LiveMigrationSpec = {
  source: { workloadEndpoint: LiveMigrationEndpoint };
  target: { workloadEndpoint: LiveMigrationEndpoint };
};

/**
 * The LiveMigration for `port` moving from `sourceHost` to `destHost`, named like the
 * destination's WorkloadEndpoint. No labels or annotations.
 * @throws {ValidationError} (from @percale/api) when the port cannot be named at `destHost`.
 */
export function buildLiveMigration(port: Pick<NeutronPort, 'id' | 'device_id'>, sourceHost: string, destHost: string, namespace: string): Resource<LiveMigrationSpec> {
  const side = (hostname: string): LiveMigrationEndpoint => ({
    hostname,
    orchestratorID: ORCHESTRATOR,
    workloadID: `${namespace}/${port.device_id}`,
    endpointID: port.id,
  });
  return {
    kind: 'LiveMigration',
    apiVersion: API_VERSION,
    metadata: { name: endpointName(destHost, port), namespace },
    spec: { source: { workloadEndpoint: side(sourceHost) }, target: { workloadEndpoint: side(destHost) } },
  };
}
