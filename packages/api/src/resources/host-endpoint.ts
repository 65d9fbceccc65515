/**
 * HostEndpoint (cluster-scoped): a host interface or set of host addresses that policy
 * applies to (resources.md §3.2), and `EndpointPort`, its named ports.
 * @module
 */
import { protocolSupportsPorts } from '../numorstring/protocol.ts';
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { int, string } from '../schema/scalars.ts';
import { always, required, struct } from '../schema/struct.ts';
import { protocol } from '../schema/unions.ts';
import { interfaceName, portName, subdomainName } from '../validation/names.ts';
import { ipAddress } from '../validation/net.ts';

/** `EndpointPort`: a named port of a host endpoint. */
export const EndpointPort = struct('EndpointPort', {
  name: required(always(string({ check: portName }))),
  protocol: always(protocol()),
  port: required(always(int({ go: 'uint16', min: 1, max: 65535 }))),
}, {
  rules: [
    (p, report) => {
      if (!protocolSupportsPorts(p.protocol ?? 0)) report(['protocol'], 'EndpointPort protocol does not support ports.', p.protocol ?? 0);
    },
  ],
});

/** `HostEndpointSpec`. */
export const HostEndpointSpec = struct('HostEndpointSpec', {
  node: string({ maxLength: 253, check: subdomainName }),
  interfaceName: string({ maxLength: 15, check: interfaceName }),
  expectedIPs: list(string({ check: ipAddress })),
  profiles: list(string({ check: subdomainName })),
  ports: list(EndpointPort),
}, {
  rules: [
    // CEL rules.
    (spec, report) => {
      if (!spec.interfaceName && !spec.expectedIPs?.length) {
        report(['interfaceName'], 'at least one of interfaceName or expectedIPs must be specified');
      }
      if (!spec.node) report(['node'], 'node must be specified');
    },
  ],
});

/** The HostEndpoint kind. */
export const HostEndpoint = defineKind({
  kind: 'HostEndpoint',
  spec: HostEndpointSpec,
});
