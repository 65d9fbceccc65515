/**
 * Node (cluster-scoped; no CRD, Go validation only): a Calico node's BGP, tunnel and WireGuard
 * addresses (resources.md §4.4). Its Go type lives in libcalico-go's internal API, and its
 * `status` is a struct value, so Calico always writes it.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { string } from '../schema/scalars.ts';
import { always, pointer, required, struct } from '../schema/struct.ts';
import { asNumber } from '../schema/unions.ts';
import { subdomainName } from '../validation/names.ts';
import { ipv4Address, ipv6Address, macAddress, maskedNetwork } from '../validation/net.ts';
import { ipv4CIDR, ipv6CIDR, nodeAddressType, wireguardPublicKey } from './infrastructure-checks.ts';

/** `NodeBGPSpec`: the node's BGP identity. The addresses keep their prefix (`10.0.0.5/24`). */
export const NodeBGPSpec = struct('NodeBGPSpec', {
  asNumber: pointer(asNumber()),
  ipv4Address: string({ check: ipv4CIDR }),
  ipv6Address: string({ check: ipv6CIDR }),
  ipv4IPIPTunnelAddr: string({ check: ipv4Address }),
  routeReflectorClusterID: string({ check: ipv4Address }),
});

/** `OrchRef`: the node's name in an orchestrator. */
export const OrchRef = struct('OrchRef', {
  nodeName: string(),
  orchestrator: always(string()),
});

/** `NodeWireguardSpec`: the node's WireGuard interface addresses. */
export const NodeWireguardSpec = struct('NodeWireguardSpec', {
  interfaceIPv4Address: string({ check: ipv4Address }),
  interfaceIPv6Address: string({ check: ipv6Address }),
});

/** `NodeAddress`: one of the node's addresses and what it is. */
export const NodeAddress = struct('NodeAddress', {
  address: required(always(string({ check: maskedNetwork })), 'invalid CIDR'),
  type: string({ check: nodeAddressType }),
});

/** `NodeInterface`: a host interface and its addresses. */
export const NodeInterface = struct('NodeInterface', {
  name: string({ check: subdomainName }),
  addresses: list(string()),
});

/** `NodeSpec`. */
export const NodeSpec = struct('NodeSpec', {
  bgp: pointer(NodeBGPSpec),
  ipv4VXLANTunnelAddr: string({ check: ipv4Address }),
  vxlanTunnelMACAddr: string({ check: macAddress }),
  ipv6VXLANTunnelAddr: string({ check: ipv6Address }),
  vxlanTunnelMACAddrV6: string({ check: macAddress }),
  orchRefs: list(OrchRef),
  wireguard: pointer(NodeWireguardSpec),
  addresses: list(NodeAddress),
  interfaces: list(NodeInterface),
}, {
  rules: [
    (spec, report) => {
      if (spec.bgp && NodeBGPSpec.isZero(spec.bgp)) report(['bgp'], 'Spec.BGP should not be empty');
    },
  ],
});

/** `NodeStatus`: what the node reports about itself. */
export const NodeStatus = struct('NodeStatus', {
  wireguardPublicKey: string({ check: wireguardPublicKey }),
  wireguardPublicKeyV6: string({ check: wireguardPublicKey }),
  podCIDRs: list(string()),
});

/** The Node kind. */
export const Node = defineKind({
  kind: 'Node',
  spec: NodeSpec,
  status: NodeStatus,
});
