/**
 * LiveMigration (namespaced): a VM interface moving between hosts while Nova live-migrates it.
 * The Neutron controller writes one per migrating port, named after the destination
 * WorkloadEndpoint, and removes it when the migration ends (openstack-integration.md §10.3).
 * Calico keeps this kind in its internal API; its members follow that Go type's order.
 * @module
 */
import { defineKind } from '../schema/kind.ts';
import { string } from '../schema/scalars.ts';
import { pointer, struct } from '../schema/struct.ts';

/** `WorkloadIdentifier`: a pod or VM, possibly with several interfaces. */
export const WorkloadIdentifier = struct('WorkloadIdentifier', {
  hostname: string(),
  orchestratorID: string(),
  workloadID: string(),
});

/** `WorkloadEndpointIdentifier`: one interface of a pod or VM, as Felix identifies endpoints. */
export const WorkloadEndpointIdentifier = struct('WorkloadEndpointIdentifier', {
  hostname: string(),
  orchestratorID: string(),
  workloadID: string(),
  endpointID: string(),
});

/** `LiveMigrationSource`: exactly one of a workload or an endpoint (OpenStack uses endpoints). */
export const LiveMigrationSource = struct('LiveMigrationSource', {
  workload: pointer(WorkloadIdentifier),
  workloadEndpoint: pointer(WorkloadEndpointIdentifier),
}, {
  rules: [(src, report) => {
    if ((src.workload === undefined) === (src.workloadEndpoint === undefined)) {
      report([], 'exactly one of workload and workloadEndpoint must be set', src);
    }
  }],
});

/** `LiveMigrationTarget`: exactly one of a selector or an endpoint. */
export const LiveMigrationTarget = struct('LiveMigrationTarget', {
  selector: pointer(string()),
  workloadEndpoint: pointer(WorkloadEndpointIdentifier),
}, {
  rules: [(dst, report) => {
    if ((dst.selector === undefined) === (dst.workloadEndpoint === undefined)) {
      report([], 'exactly one of selector and workloadEndpoint must be set', dst);
    }
  }],
});

/** `LiveMigrationSpec`. */
export const LiveMigrationSpec = struct('LiveMigrationSpec', {
  source: pointer(LiveMigrationSource),
  target: pointer(LiveMigrationTarget),
});

/** The LiveMigration kind. */
export const LiveMigration = defineKind({
  kind: 'LiveMigration',
  spec: LiveMigrationSpec,
});
