/**
 * The schema of every kind Percale decodes, validates and writes, and the named API types
 * (`Rule`, `EntityRule`, …) that can be validated on their own. Add a kind here once its file
 * declares it.
 * @module
 */
import type { KindSchema } from '../schema/kind.ts';
import type { ValueType } from '../schema/types.ts';
import { protocol } from '../schema/unions.ts';
import { GlobalNetworkPolicy } from './global-network-policy.ts';
import { GlobalNetworkSet } from './global-network-set.ts';
import { HostEndpoint } from './host-endpoint.ts';
import { NetworkPolicy } from './network-policy.ts';
import { NetworkSet } from './network-set.ts';
import { Profile } from './profile.ts';
import { ProtoPort } from './proto-port.ts';
import { StagedGlobalNetworkPolicy } from './staged-global-network-policy.ts';
import { StagedNetworkPolicy } from './staged-network-policy.ts';
import { Tier } from './tier.ts';
import { WorkloadEndpoint } from './workload-endpoint.ts';
import { BGPConfiguration } from './bgp-configuration.ts';
import { BGPFilter } from './bgp-filter.ts';
import { BGPPeer } from './bgp-peer.ts';
import { BlockAffinitySpec } from './block-affinity.ts';
import { CalicoNodeStatus } from './calico-node-status.ts';
import { ClusterInformation } from './cluster-information.ts';
import { FelixConfiguration } from './felix-configuration.ts';
import { IPAMConfiguration } from './ipam-configuration.ts';
import { IPPool } from './ip-pool.ts';
import { IPReservation } from './ip-reservation.ts';
import { LiveMigration } from './live-migration.ts';
import { KubeControllersConfiguration } from './kube-controllers-configuration.ts';
import { Node } from './node.ts';

/** Every kind with a schema. */
export const KIND_SCHEMAS: readonly KindSchema[] = [
  NetworkPolicy,
  GlobalNetworkPolicy,
  StagedNetworkPolicy,
  StagedGlobalNetworkPolicy,
  Tier,
  Profile,
  WorkloadEndpoint,
  LiveMigration,
  HostEndpoint,
  NetworkSet,
  GlobalNetworkSet,
  IPPool,
  IPReservation,
  IPAMConfiguration,
  BGPPeer,
  BGPConfiguration,
  BGPFilter,
  Node,
  FelixConfiguration,
  KubeControllersConfiguration,
  ClusterInformation,
  CalicoNodeStatus,
];

const byKind = new Map(KIND_SCHEMAS.map((k) => [k.kind, k]));

/** The schema of `kind`, or undefined when Percale has none. */
export function kindSchema(kind: string): KindSchema | undefined {
  return byKind.get(kind);
}

// Named types not reachable from a kind's spec by their own name.
const EXTRA_FRAGMENTS: readonly ValueType<unknown>[] = [protocol() as ValueType<unknown>, ProtoPort, BlockAffinitySpec as ValueType<unknown>];

function collectFragments(): Map<string, ValueType<unknown>> {
  const found = new Map<string, ValueType<unknown>>();
  const visit = (t: ValueType<unknown>) => {
    if (t.typeName !== undefined) {
      if (found.has(t.typeName)) return;
      found.set(t.typeName, t);
    }
    for (const part of t.parts ?? []) visit(part);
  };
  for (const k of KIND_SCHEMAS) {
    visit(k.spec);
    if (k.status) visit(k.status);
  }
  for (const t of EXTRA_FRAGMENTS) visit(t);
  return found;
}

let fragments: Map<string, ValueType<unknown>> | undefined;

/** The named API type `typeName` (Go spelling: `Rule`, `WorkloadEndpointSpec`), or undefined. */
export function fragmentType(typeName: string): ValueType<unknown> | undefined {
  fragments ??= collectFragments();
  return fragments.get(typeName);
}
