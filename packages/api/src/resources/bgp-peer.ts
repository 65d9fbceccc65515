/**
 * BGPPeer (cluster-scoped): a BGP session from some or all nodes to a remote address or to
 * other nodes (resources.md §4.2), and `BGPPassword`, shared with BGPConfiguration. The
 * CRD's CEL rules are struct rules; the address-family check stays a Go rule, as in Calico.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { bool, enumOf, int, string } from '../schema/scalars.ts';
import { always, pointer, struct } from '../schema/struct.ts';
import { asNumber, duration } from '../schema/unions.ts';
import { subdomainName } from '../validation/names.ts';
import { ipAddress, parseIP } from '../validation/net.ts';
import { selectorSyntax } from '../validation/selectors.ts';
import { peerAddress, peerIP } from './infrastructure-checks.ts';

/** Kubernetes `SecretKeySelector`: a key of a Secret in calico/node's namespace. */
export const SecretKeySelector = struct('SecretKeySelector', {
  name: string(),
  key: always(string()),
  optional: pointer(bool()),
});

/** `BGPPassword`: where a BGP session's password comes from. */
export const BGPPassword = struct('BGPPassword', {
  secretKeyRef: pointer(SecretKeySelector),
});

const selector = string({ maxLength: 1024, check: selectorSyntax });

/** `BGPPeerSpec`. */
export const BGPPeerSpec = struct('BGPPeerSpec', {
  node: string({ maxLength: 253, check: subdomainName }),
  nodeSelector: selector,
  peerIP: string({ maxLength: 64, check: peerIP }),
  asNumber: asNumber(),
  localASNumber: pointer(asNumber()),
  peerSelector: selector,
  keepOriginalNextHop: bool(),
  nextHopMode: pointer(enumOf(['Auto', 'Self', 'Keep'])),
  password: pointer(BGPPassword),
  sourceAddress: enumOf(['UseNodeIP', 'None']),
  maxRestartTime: pointer(duration()),
  keepaliveTime: pointer(duration()),
  numAllowedLocalASNumbers: pointer(int({ go: 'int32' })),
  ttlSecurity: pointer(int({ go: 'uint8' })),
  reachableBy: string({ maxLength: 64, check: ipAddress }),
  filters: list(string({ check: subdomainName })),
  localWorkloadSelector: selector,
  reversePeering: pointer(enumOf(['Auto', 'Manual'])),
}, {
  rules: [
    // CEL rules.
    (spec, report) => {
      if (spec.node && spec.nodeSelector) report(['nodeSelector'], 'node and nodeSelector cannot both be set', spec.nodeSelector);
      if (spec.peerIP && spec.peerSelector) report(['peerSelector'], 'peerIP and peerSelector cannot both be set', spec.peerSelector);
      if (spec.peerSelector && spec.asNumber) report(['asNumber'], 'asNumber must be empty when peerSelector is set', spec.asNumber);
      if (spec.localWorkloadSelector) {
        if (spec.peerIP) report(['peerIP'], 'peerIP must be empty when localWorkloadSelector is set', spec.peerIP);
        if (spec.peerSelector) report(['peerSelector'], 'peerSelector must be empty when localWorkloadSelector is set', spec.peerSelector);
        if (!spec.asNumber) report(['asNumber'], 'asNumber is required when localWorkloadSelector is set');
      }
      if (spec.reachableBy && !spec.peerIP) report(['reachableBy'], 'reachableBy must be empty when peerIP is empty', spec.reachableBy);
      if (spec.keepOriginalNextHop && spec.nextHopMode !== undefined) {
        report(['nextHopMode'], 'keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is deprecated, use nextHopMode instead', spec.nextHopMode);
      }
    },
    // Go rule: the gateway must be of the peer's address family.
    (spec, report) => {
      if (!spec.reachableBy || !spec.peerIP) return;
      const gateway = parseIP(spec.reachableBy);
      const peerHost = peerAddress(spec.peerIP);
      const peer = peerHost === undefined ? undefined : parseIP(peerHost);
      if (gateway && peer && gateway.version !== peer.version) {
        report(['reachableBy'], 'ReachableBy and PeerIP address family mismatched', spec.reachableBy);
      }
    },
  ],
});

/** The BGPPeer kind. */
export const BGPPeer = defineKind({
  kind: 'BGPPeer',
  spec: BGPPeerSpec,
});
