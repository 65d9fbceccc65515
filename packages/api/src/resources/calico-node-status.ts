/**
 * CalicoNodeStatus (cluster-scoped): a request for a node to report its agent, BGP and route
 * status at an interval, and the report itself. Every status member is a Go struct value, so
 * Calico writes the whole (possibly zero) status tree; an unset `lastUpdated` is `null`.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { enumOf, int, string, time } from '../schema/scalars.ts';
import { always, pointer, required, struct } from '../schema/struct.ts';
import { subdomainName } from '../validation/names.ts';
import { ipAddress } from '../validation/net.ts';

/** `CalicoNodeStatusSpec`: which node, which classes of status, how often (0 = never). */
export const CalicoNodeStatusSpec = struct('CalicoNodeStatusSpec', {
  node: required(string({ check: subdomainName })),
  classes: required(list(enumOf(['Agent', 'BGP', 'Routes']), { unique: true })),
  updatePeriodSeconds: required(pointer(int({ go: 'uint32', min: 0, max: 86400 }))),
});

/** `BGPDaemonStatus`: one BIRD daemon. */
export const BGPDaemonStatus = struct('BGPDaemonStatus', {
  state: enumOf(['Ready', 'NotReady']),
  version: string(),
  routerID: string(),
  lastBootTime: string(),
  lastReconfigurationTime: string(),
});

/** `CalicoNodePeer`: one BGP session. */
export const CalicoNodePeer = struct('CalicoNodePeer', {
  peerIP: string({ check: ipAddress }),
  type: enumOf(['NodeMesh', 'NodePeer', 'GlobalPeer']),
  state: enumOf(['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established', 'Close']),
  since: string(),
});

/** `CalicoNodeRoute`: one route in the FIB or RIB. */
export const CalicoNodeRoute = struct('CalicoNodeRoute', {
  type: enumOf(['FIB', 'RIB']),
  destination: string(),
  gateway: string(),
  interface: string(),
  learnedFrom: struct('CalicoNodeRouteLearnedFrom', {
    sourceType: enumOf(['Kernel', 'Static', 'Direct', 'NodeMesh', 'BGPPeer']),
    peerIP: string({ check: ipAddress }),
  }),
});

/** `CalicoNodeStatusStatus`. */
export const CalicoNodeStatusStatus = struct('CalicoNodeStatusStatus', {
  lastUpdated: always(time()),
  agent: always(struct('CalicoNodeAgentStatus', { birdV4: always(BGPDaemonStatus), birdV6: always(BGPDaemonStatus) })),
  bgp: always(struct('CalicoNodeBGPStatus', {
    numberEstablishedV4: always(int()),
    numberNotEstablishedV4: always(int()),
    numberEstablishedV6: always(int()),
    numberNotEstablishedV6: always(int()),
    peersV4: list(CalicoNodePeer),
    peersV6: list(CalicoNodePeer),
  })),
  routes: always(struct('CalicoNodeBGPRouteStatus', { routesV4: list(CalicoNodeRoute), routesV6: list(CalicoNodeRoute) })),
});

/** The CalicoNodeStatus kind. */
export const CalicoNodeStatus = defineKind({
  kind: 'CalicoNodeStatus',
  spec: CalicoNodeStatusSpec,
  status: CalicoNodeStatusStatus,
});
