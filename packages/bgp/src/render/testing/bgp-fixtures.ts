/**
 * Resource builders and the worked-example datastore states of spec bgp.md §10–11 (and the
 * issue's gateway scenario), shared by the renderer's tests and the render benchmark.
 * @module
 */
import type { Resource } from '@percale/api';
import type { BgpInputs } from '../render-bird-config.ts';

const API = 'projectcalico.org/v3';

/** A Node with a BGP spec (`ipv4`/`ipv6` keep their prefix length, as Calico stores them). */
export function node(name: string, bgp: Record<string, unknown>, labels: Record<string, string> = {}): Resource {
  return { apiVersion: API, kind: 'Node', metadata: { name, labels }, spec: { bgp } };
}

/** An IPPool. */
export function pool(name: string, cidr: string, spec: Record<string, unknown> = {}): Resource {
  return { apiVersion: API, kind: 'IPPool', metadata: { name }, spec: { cidr, ...spec } };
}

/** A BGPPeer. */
export function peer(name: string, spec: Record<string, unknown>): Resource {
  return { apiVersion: API, kind: 'BGPPeer', metadata: { name }, spec };
}

/** A BGPConfiguration (`default` or `node.<name>`). */
export function bgpConfig(name: string, spec: Record<string, unknown>): Resource {
  return { apiVersion: API, kind: 'BGPConfiguration', metadata: { name }, spec };
}

/** A BGPFilter. */
export function bgpFilter(name: string, spec: Record<string, unknown>): Resource {
  return { apiVersion: API, kind: 'BGPFilter', metadata: { name }, spec };
}

/** Inputs with empty lists, overridden by `parts`. */
export function inputs(nodeName: string, parts: Partial<BgpInputs>): BgpInputs {
  return { nodeName, nodes: [], peers: [], pools: [], configurations: [], filters: [], ...parts };
}

/** Spec §10: three-node full mesh, one exported pool and one with `disableBGPExport`. */
export function exampleA(nodeName = 'compute-1'): BgpInputs {
  return inputs(nodeName, {
    nodes: [
      node('compute-1', { ipv4Address: '10.0.0.11/24' }),
      node('compute-2', { ipv4Address: '10.0.0.12/24' }),
      node('compute-3', { ipv4Address: '10.0.0.13/24' }),
    ],
    pools: [pool('vms', '10.65.0.0/16'), pool('quiet', '10.66.0.0/16', { disableBGPExport: true })],
  });
}

/** Spec §11: mesh off, two route reflectors (cluster 244.0.0.1) and two clients. */
export function exampleB(nodeName = 'compute-1'): BgpInputs {
  const rr = { 'route-reflector': 'true' };
  return inputs(nodeName, {
    configurations: [bgpConfig('default', {
      asNumber: 64512,
      nodeToNodeMeshEnabled: false,
      prefixAdvertisements: [{ cidr: '10.65.0.0/16', communities: ['64512:100'] }],
    })],
    nodes: [
      node('rr-1', { ipv4Address: '10.0.0.5/24', routeReflectorClusterID: '244.0.0.1' }, rr),
      node('rr-2', { ipv4Address: '10.0.0.6/24', routeReflectorClusterID: '244.0.0.1' }, rr),
      node('compute-1', { ipv4Address: '10.0.0.11/24' }),
      node('compute-2', { ipv4Address: '10.0.0.12/24' }),
    ],
    peers: [peer('peer-with-route-reflectors', { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" })],
    pools: [pool('vms', '10.65.0.0/16')],
  });
}

/**
 * The connectivity document's address plan: a private NAT pool, a public pool and an IPv6
 * range on dual-stack hosts in a mesh, and a gateway router (AS 65000) that must learn the
 * public and IPv6 routes but never the private ones.
 */
export function gatewayScenario(nodeName = 'compute-1'): BgpInputs {
  return inputs(nodeName, {
    nodes: [
      node('compute-1', { ipv4Address: '10.0.0.11/24', ipv6Address: 'fd00:0:0:0::11/64' }),
      node('compute-2', { ipv4Address: '10.0.0.12/24', ipv6Address: 'fd00::12/64' }),
    ],
    pools: [
      pool('private', '10.65.0.0/16', { natOutgoing: true }),
      pool('public', '203.0.113.0/24'),
      pool('v6', 'fd00:65::/48'),
    ],
    peers: [
      peer('gateway', { peerIP: '10.0.0.1', asNumber: 65000, filters: ['gateway-no-private'] }),
      peer('gateway-v6', { peerIP: 'fd00::1', asNumber: 65000 }),
    ],
    filters: [bgpFilter('gateway-no-private', { exportV4: [{ action: 'Reject', matchOperator: 'In', cidr: '10.65.0.0/16' }] })],
  });
}
