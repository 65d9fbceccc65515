/**
 * BGPConfiguration (cluster-scoped): cluster-wide (`default`) or per-node (`node.<name>`) BGP
 * settings (resources.md §4.3). Some members are global by nature and may only be set on
 * `default`; the client refuses them elsewhere, and so does Percale's validation.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { bool, enumOf, int, string } from '../schema/scalars.ts';
import { defaulted, pointer, required, struct } from '../schema/struct.ts';
import { asNumber, duration } from '../schema/unions.ts';
import { subdomainName } from '../validation/names.ts';
import { ipv4Address, ipv6Address, maskedNetwork } from '../validation/net.ts';
import { BGPPassword } from './bgp-peer.ts';
import { crdPattern, ignoredInterface } from './infrastructure-checks.ts';

const STANDARD_COMMUNITY = /^(\d+):(\d+)$/;
const LARGE_COMMUNITY = /^(\d+):(\d+):(\d+)$/;

/**
 * Why a community value is invalid: `aa:nn` needs 16-bit parts, `aa:nn:mm` 32-bit parts.
 * Returns undefined for a valid value and `null` for text that is neither form.
 */
function communityProblem(value: string): string | null | undefined {
  const bits = STANDARD_COMMUNITY.test(value) ? 16 : LARGE_COMMUNITY.test(value) ? 32 : 0;
  if (bits === 0) return null;
  return value.split(':').every((n) => BigInt(n) < 2n ** BigInt(bits)) ? undefined : `invalid community value, expected ${bits} bit value`;
}

/** `Community`: a named community value that prefix advertisements can refer to. */
export const Community = struct('Community', {
  name: required(string({ maxLength: 253, check: subdomainName })),
  value: required(string({ maxLength: 40, check: crdPattern('^(\\d+):(\\d+)$|^(\\d+):(\\d+):(\\d+)$') })),
});

/** `PrefixAdvertisement`: communities to attach to routes for a CIDR. */
export const PrefixAdvertisement = struct('PrefixAdvertisement', {
  cidr: required(string({ check: maskedNetwork })),
  communities: required(list(string(), { maxItems: 50 })),
});

const serviceIPBlock = (typeName: string) => struct(typeName, { cidr: string({ check: maskedNetwork }) });

/** Members Calico only accepts on the `default` BGPConfiguration, and how its message names them. */
const DEFAULT_ONLY: readonly (readonly [member: string, inMessage: string])[] = [
  ['nodeToNodeMeshEnabled', 'nodeToNodeMeshEnabled'],
  ['asNumber', 'ASNumber'],
  ['serviceLoadBalancerIPs', 'ServiceLoadBalancerIPs'],
  ['serviceExternalIPs', 'ServiceExternalIPs'],
  ['serviceClusterIPs', 'ServiceClusterIPs'],
  ['nodeMeshPassword', 'nodeMeshPassword'],
  ['nodeMeshMaxRestartTime', 'nodeMeshMaxRestartTime'],
];

/** `BGPConfigurationSpec`. */
export const BGPConfigurationSpec = struct('BGPConfigurationSpec', {
  logSeverityScreen: defaulted(string({ check: crdPattern('^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$') }), 'Info'),
  nodeToNodeMeshEnabled: pointer(bool()),
  asNumber: pointer(asNumber()),
  serviceLoadBalancerIPs: list(serviceIPBlock('ServiceLoadBalancerIPBlock')),
  serviceExternalIPs: list(serviceIPBlock('ServiceExternalIPBlock')),
  serviceClusterIPs: list(serviceIPBlock('ServiceClusterIPBlock')),
  serviceLoadBalancerAggregation: defaulted(pointer(enumOf(['Enabled', 'Disabled'])), 'Enabled'),
  communities: list(Community, { maxItems: 500 }),
  prefixAdvertisements: list(PrefixAdvertisement, { maxItems: 500 }),
  listenPort: int({ go: 'uint16', min: 1, max: 65535 }),
  nodeMeshPassword: pointer(BGPPassword),
  nodeMeshMaxRestartTime: pointer(duration()),
  bindMode: pointer(enumOf(['None', 'NodeIP'])),
  ignoredInterfaces: list(string({ check: ignoredInterface }), { unique: true }),
  localWorkloadPeeringIPV4: string({ check: ipv4Address }),
  localWorkloadPeeringIPV6: string({ check: ipv6Address }),
  programClusterRoutes: pointer(enumOf(['Enabled', 'Disabled', 'EnabledIPIPOnly', 'EnabledNoEncapOnly'])),
  ipv4NormalRoutePriority: pointer(int({ min: 1, max: 2147483646 })),
  ipv6NormalRoutePriority: pointer(int({ min: 1, max: 2147483646 })),
}, {
  rules: [
    // Go rules: community values and the communities prefix advertisements use.
    (spec, report) => {
      const communities = spec.communities ?? [];
      communities.forEach((c, i) => {
        if (!c.value) return;
        const problem = communityProblem(c.value);
        if (problem !== undefined) report(['communities', i, 'value'], problem ?? 'invalid community value or format used.', c.value);
      });
      (spec.prefixAdvertisements ?? []).forEach((pa, i) => {
        (pa.communities ?? []).forEach((v, j) => {
          const problem = communityProblem(v);
          if (problem === null && !communities.some((c) => c.name === v)) {
            report(['prefixAdvertisements', i, 'communities', j], 'community used is invalid or not defined.', v);
          } else if (problem) report(['prefixAdvertisements', i, 'communities', j], problem, v);
        });
      });
    },
    // CEL rules.
    (spec, report) => {
      const meshOff = spec.nodeToNodeMeshEnabled === false;
      if (meshOff && spec.nodeMeshPassword !== undefined) report(['nodeMeshPassword'], 'nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false');
      if (meshOff && spec.nodeMeshMaxRestartTime !== undefined) {
        report(['nodeMeshMaxRestartTime'], 'nodeMeshMaxRestartTime cannot be set when nodeToNodeMeshEnabled is false', spec.nodeMeshMaxRestartTime);
      }
      if (spec.communities?.length && !spec.prefixAdvertisements?.length) {
        report(['communities'], 'communities are defined but not used in prefixAdvertisements');
      }
    },
  ],
});

/** The BGPConfiguration kind. */
export const BGPConfiguration = defineKind({
  kind: 'BGPConfiguration',
  spec: BGPConfigurationSpec,
  rules: [
    // Client rule: global settings only on the `default` configuration.
    (res, report) => {
      if (res.metadata.name === 'default') return;
      const spec = res.spec as Record<string, unknown>;
      for (const [member, inMessage] of DEFAULT_ONLY) {
        const v = spec[member];
        if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
        report(['spec', member], `Cannot set ${inMessage} on a non default BGP Configuration.`);
      }
    },
  ],
});
