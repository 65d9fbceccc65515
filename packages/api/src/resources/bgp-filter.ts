/**
 * BGPFilter (cluster-scoped): import and export rules for the routes a BGP session carries,
 * per address family, optionally rewriting them (communities, AS path, priority). BGPPeers
 * name the filters they use.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { enumOf, int, string } from '../schema/scalars.ts';
import { always, pointer, required, struct, type StructRule } from '../schema/struct.ts';
import { asNumber } from '../schema/unions.ts';
import { bgpFilterInterface, cidrFormat, crdPattern, ipv4Network, ipv6Network } from './infrastructure-checks.ts';

const U16 = '([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
const U32 = '([0-9]|[1-9][0-9]{1,8}|[1-3][0-9]{9}|4[0-1][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[0-1][0-9]{2}|42949672[0-8][0-9]|429496729[0-5])';

/** `BGPCommunityValue`: a standard (`aa:nn`, 16-bit parts) or large (`aa:nn:mm`, 32-bit) community. */
const communityValue = string({ maxLength: 32, check: crdPattern(`^(${U16}:${U16}|${U32}:${U32}:${U32})$`) });

/** `BGPFilterCommunityMatch`: routes carrying this community. */
export const BGPFilterCommunityMatch = struct('BGPFilterCommunityMatch', {
  values: required(always(list(communityValue, { minItems: 1, maxItems: 1 }))),
});

/** `BGPFilterOperation`: exactly one rewrite of an accepted route. */
export const BGPFilterOperation = struct('BGPFilterOperation', {
  addCommunity: pointer(struct('BGPFilterAddCommunity', { value: required(pointer(communityValue)) })),
  prependASPath: pointer(struct('BGPFilterPrependASPath', {
    prefix: required(always(list(asNumber(), { minItems: 1, maxItems: 10 }))),
  })),
  setPriority: pointer(struct('BGPFilterSetPriority', { value: required(pointer(int({ min: 1, max: 2147483646 }))) })),
}, {
  rules: [
    // CRD minProperties / maxProperties: one operation per entry.
    (op, report) => {
      const n = [op.addCommunity, op.prependASPath, op.setPriority].filter((v) => v !== undefined).length;
      if (n === 0) report([], 'should have at least 1 properties');
      if (n > 1) report([], `Too many: ${n}: must have at most 1 items`);
    },
  ],
});

interface RuleView {
  readonly cidr?: string;
  readonly matchOperator?: string;
  readonly prefixLength?: object;
  readonly operations?: readonly unknown[];
  readonly action?: string;
}

/** The CEL rules both rule types share. */
const ruleRules: StructRule<RuleView>[] = [
  (rule, report) => {
    if (!!rule.cidr !== !!rule.matchOperator) {
      report(rule.cidr ? ['matchOperator'] : ['cidr'], 'cidr and matchOperator must both be set or both be empty');
    }
    if (rule.prefixLength !== undefined && !rule.cidr) report(['cidr'], 'cidr is required when prefixLength is set');
    if (rule.operations?.length && rule.action !== 'Accept') report(['operations'], 'operations may only be used with action Accept');
  },
];

/** Members of a filter rule for one address family. */
function ruleFields(family: 4 | 6) {
  const maxPrefix = family === 4 ? 32 : 128;
  const prefixBound = pointer(int({ go: 'int32', min: 0, max: maxPrefix }));
  return {
    cidr: string({ maxLength: family === 4 ? 18 : 43, check: [family === 4 ? ipv4Network : ipv6Network, cidrFormat] }),
    prefixLength: pointer(struct(`BGPFilterPrefixLengthV${family}`, { min: prefixBound, max: prefixBound })),
    source: enumOf(['RemotePeers']),
    interface: string({ maxLength: 15, check: bgpFilterInterface }),
    matchOperator: enumOf(['Equal', 'NotEqual', 'In', 'NotIn']),
    peerType: enumOf(['eBGP', 'iBGP']),
    communities: pointer(BGPFilterCommunityMatch),
    asPathPrefix: list(asNumber()),
    priority: pointer(int({ min: 1, max: 2147483646 })),
    action: required(always(enumOf(['Accept', 'Reject']))),
    operations: list(BGPFilterOperation, { minItems: 1, maxItems: 10 }),
  };
}

/** `BGPFilterRuleV4`. */
export const BGPFilterRuleV4 = struct('BGPFilterRuleV4', ruleFields(4), { rules: ruleRules });

/** `BGPFilterRuleV6`. */
export const BGPFilterRuleV6 = struct('BGPFilterRuleV6', ruleFields(6), { rules: ruleRules });

/** `BGPFilterSpec`. */
export const BGPFilterSpec = struct('BGPFilterSpec', {
  exportV4: list(BGPFilterRuleV4),
  importV4: list(BGPFilterRuleV4),
  exportV6: list(BGPFilterRuleV6),
  importV6: list(BGPFilterRuleV6),
});

/** The BGPFilter kind. */
export const BGPFilter = defineKind({
  kind: 'BGPFilter',
  spec: BGPFilterSpec,
});
