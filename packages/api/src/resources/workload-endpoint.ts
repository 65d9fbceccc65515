/**
 * WorkloadEndpoint (namespaced): a VM or pod interface that policy applies to (resources.md
 * §3.1). Calico has no CRD for it: these are its Go validators only. Its name must match the
 * identifiers in the spec (`names/`); the datastore client enforces that and the labels.
 * @module
 */
import { protocolSupportsPorts } from '../numorstring/protocol.ts';
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { int, string } from '../schema/scalars.ts';
import { always, pointer, required, struct } from '../schema/struct.ts';
import { dscp, protocol } from '../schema/unions.ts';
import { containerID, interfaceName, portName, subdomainName } from '../validation/names.ts';
import {
  cidrOrIP, ipAddress, ipv4Address, ipv6Address, macAddress, maskedNetwork, networkContains, parseCIDROrIP, parseIP,
} from '../validation/net.ts';

/** `IPNAT`: a floating IP (external) mapped to one of the endpoint's own addresses. */
export const IPNAT = struct('IPNAT', {
  internalIP: always(string({ check: ipAddress })),
  externalIP: always(string({ check: ipAddress })),
}, {
  rules: [
    (nat, report) => {
      const version = (text: string | undefined) => (text ? parseCIDROrIP(text)?.address.version : 0);
      const internal = version(nat.internalIP);
      const external = version(nat.externalIP);
      // Unparsable addresses are reported by the member checks.
      if (internal !== undefined && external !== undefined && internal !== external) {
        report(['externalIP'], 'mismatched IP versions', nat.externalIP);
      }
    },
  ],
});

/** `WorkloadEndpointPort`: a named (or host-mapped) port of the workload. Every member is always written. */
export const WorkloadEndpointPort = struct('WorkloadEndpointPort', {
  name: always(string({ check: portName })),
  protocol: always(protocol()),
  port: required(always(int({ go: 'uint16', min: 1 }))),
  hostPort: always(int({ go: 'uint16' })),
  hostIP: always(string({ check: maskedNetwork })),
}, {
  rules: [
    (p, report) => {
      if (!protocolSupportsPorts(p.protocol ?? 0)) {
        report(['protocol'], 'WorkloadEndpointPort protocol does not support ports.', p.protocol ?? 0);
      }
      if (!p.name && !p.hostPort) report(['name'], 'WorkloadEndpointPort name must not be empty if no HostPort is specified');
    },
  ],
});

const int64 = int({ go: 'int64' });

/** `QoSControls`: bandwidth, packet-rate and connection limits. Calico does not validate them. */
export const QoSControls = struct('QoSControls', {
  ingressBandwidth: int64,
  ingressBurst: int64,
  ingressPeakrate: int64,
  ingressMinburst: int64,
  egressBandwidth: int64,
  egressBurst: int64,
  egressPeakrate: int64,
  egressMinburst: int64,
  ingressPacketRate: int64,
  ingressPacketBurst: int64,
  egressPacketRate: int64,
  egressPacketBurst: int64,
  ingressMaxConnections: int64,
  egressMaxConnections: int64,
  dscp: pointer(dscp()),
});

const name = string({ check: subdomainName });

/** `WorkloadEndpointSpec`. */
export const WorkloadEndpointSpec = struct('WorkloadEndpointSpec', {
  orchestrator: name,
  workload: name,
  node: name,
  containerID: string({ check: containerID }),
  pod: name,
  endpoint: name,
  serviceAccountName: name,
  ipNetworks: list(string({ check: maskedNetwork })),
  ipNATs: list(IPNAT),
  ipv4Gateway: string({ check: ipv4Address }),
  ipv6Gateway: string({ check: ipv6Address }),
  profiles: list(name),
  interfaceName: required(string({ check: interfaceName })),
  mac: string({ check: macAddress }),
  ports: list(WorkloadEndpointPort),
  allowSpoofedSourcePrefixes: list(string({ check: cidrOrIP })),
  qosControls: pointer(QoSControls),
}, {
  rules: [
    // Endpoint networks are single addresses (/32 or /128).
    (spec, report) => {
      (spec.ipNetworks ?? []).forEach((text, i) => {
        const net = parseCIDROrIP(text);
        if (net && net.prefix !== (net.address.version === 4 ? 32 : 128)) {
          report(['ipNetworks', i], 'IP network contains multiple addresses', text);
        }
      });
    },
    // Every NAT's internal address is one of the endpoint's own.
    (spec, report) => {
      const nats = spec.ipNATs ?? [];
      const networks = (spec.ipNetworks ?? []).map(parseCIDROrIP).filter((n) => n !== undefined);
      const outside = nats.findIndex((nat) => {
        const ip = parseIP(nat.internalIP ?? '');
        return ip !== undefined && !networks.some((n) => networkContains(n, ip));
      });
      if (outside >= 0) report(['ipNATs', outside], 'NAT is not in the endpoint networks', nats[outside]!.internalIP);
    },
  ],
});

/** The WorkloadEndpoint kind. */
export const WorkloadEndpoint = defineKind({
  kind: 'WorkloadEndpoint',
  spec: WorkloadEndpointSpec,
});
