/**
 * The policy rule types shared by NetworkPolicy, GlobalNetworkPolicy, their staged variants and
 * Profile (`policy_common.go`): Rule, EntityRule, ICMPFields, HTTPMatch and their rules
 * (resources.md §2.1). Fields are in Go order; rules are Calico's struct validators and CEL rules.
 * @module
 */
import { protocolSupportsPorts, type Protocol } from '../numorstring/protocol.ts';
import { list, map } from '../schema/collections.ts';
import { enumOf, int, string } from '../schema/scalars.ts';
import { always, omitzero, pointer, required, struct, type StructValue } from '../schema/struct.ts';
import type { Issue, Report } from '../schema/types.ts';
import { port, portParts, protocol } from '../schema/unions.ts';
import { checkAnnotations } from '../validation/labels.ts';
import { subdomainName } from '../validation/names.ts';
import { maskedNetwork, parseCIDR } from '../validation/net.ts';
import { rulePortProblem } from '../validation/ports.ts';
import { globalOnlyAlone, noGlobal, selectorSyntax } from '../validation/selectors.ts';

/** Rule actions. */
export const ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const;

/** `ICMPFields`: an ICMP type and code match. */
export const ICMPFields = struct('ICMPFields', {
  type: pointer(int({ min: 0, max: 254 })),
  code: pointer(int({ min: 0, max: 255 })),
}, {
  rules: [
    (icmp, report) => {
      if (icmp.code !== undefined && icmp.type === undefined) report(['code'], 'ICMP code specified without an ICMP type');
    },
  ],
});

const HTTPPath = struct('HTTPPath', {
  exact: string({ maxLength: 1024 }),
  prefix: string({ maxLength: 1024 }),
});

/** `HTTPMatch`: application-layer match on methods and paths. */
export const HTTPMatch = struct('HTTPMatch', {
  methods: list(string(), { maxItems: 20 }),
  paths: list(HTTPPath, { maxItems: 20 }),
}, {
  rules: [
    (http, report) => {
      const methods = http.methods ?? [];
      if (new Set(methods).size !== methods.length) report(['methods'], `Invalid methods (duplicates): [${methods.join(' ')}]`, methods);
    },
    (http, report) => {
      (http.paths ?? []).forEach((p, i) => {
        const exact = p.exact ?? '';
        const prefix = p.prefix ?? '';
        const value = exact || prefix;
        if (exact && prefix) report(['paths', i], "Invalid path match. Both 'exact' and 'prefix' are set");
        else if (!value) report(['paths', i], "Invalid path match. Either 'exact' or 'prefix' must be set");
        else if (!value.startsWith('/') || /[? #]/.test(value)) {
          report(['paths', i], `Invalid path ${value}. (must start with \`/\` and not contain \`?\` or \`#\``, value);
        }
      });
    },
  ],
});

const ServiceMatch = struct('ServiceMatch', {
  name: string({ maxLength: 253, check: subdomainName }),
  namespace: string({ maxLength: 253, check: subdomainName }),
});

const ServiceAccountMatch = struct('ServiceAccountMatch', {
  names: list(string()),
  selector: string({ check: selectorSyntax }),
});

const RuleMetadata = struct('RuleMetadata', {
  annotations: map(string()),
}, {
  rules: [(meta, report) => {
    const issues: Issue[] = [];
    checkAnnotations(meta.annotations ?? {}, ['annotations'], issues);
    for (const i of issues) report(i.path, i.reason, i.value);
  }],
});

const net = string({ check: maskedNetwork });
const rulePort = port(rulePortProblem);

const entityRuleFields = {
  nets: list(net, { maxItems: 256 }),
  selector: string({ maxLength: 1024, check: [selectorSyntax, noGlobal] }),
  namespaceSelector: string({ maxLength: 1024, check: [selectorSyntax, globalOnlyAlone] }),
  services: pointer(ServiceMatch),
  ports: list(rulePort, { maxItems: 50 }),
  notNets: list(net, { maxItems: 256 }),
  notSelector: string({ maxLength: 1024, check: selectorSyntax }),
  notPorts: list(rulePort, { maxItems: 50 }),
  serviceAccounts: pointer(ServiceAccountMatch),
};

/** `EntityRule`: the source or destination side of a rule. */
export const EntityRule = struct('EntityRule', entityRuleFields, {
  rules: [
    // CEL: a service match stands alone on its side of the rule.
    (side, report) => {
      if (!side.services) return;
      const conflicts: [boolean, string][] = [
        [!!side.namespaceSelector, 'cannot specify NamespaceSelector and Services on the same rule'],
        [!!side.serviceAccounts, 'cannot specify ServiceAccounts and Services on the same rule'],
        [!side.services.name, 'services must specify a service name'],
        [!!(side.selector || side.notSelector), 'cannot specify Selector/NotSelector and Services on the same rule'],
        [!!(side.nets?.length || side.notNets?.length), 'cannot specify Nets/NotNets and Services on the same rule'],
      ];
      for (const [conflict, reason] of conflicts) if (conflict) report(['services'], reason);
    },
  ],
});

type EntityRuleValue = StructValue<typeof entityRuleFields>;
type Side = 'source' | 'destination';
const SIDES: readonly Side[] = ['source', 'destination'];

const isICMP = (p: Protocol | undefined) => p === 'ICMP' || p === 1;
const isICMPv6 = (p: Protocol | undefined) => p === 'ICMPv6' || p === 58;

/** Go's port/protocol rule: numeric ports need a port protocol; a non-port protocol allows no ports. */
function checkPortsAgainstProtocol(rule: RuleValue, report: Report): void {
  for (const side of SIDES) {
    for (const list of ['ports', 'notPorts'] as const) {
      const ports = rule[side]?.[list] ?? [];
      if (rule.protocol === undefined) {
        if (ports.some((p) => !('portName' in portParts(p)))) {
          report([side, list], 'rules with numeric port or port range must set protocol to TCP or UDP or SCTP', ports);
        }
      } else if (ports.length > 0 && !protocolSupportsPorts(rule.protocol)) {
        report([side, list], 'rules that specify ports must set protocol to TCP or UDP or SCTP', ports);
      }
    }
  }
}

/** Go's CIDR rule: rule CIDRs need a prefix, share one family, match `ipVersion`, and negations are not catch-alls. */
function checkNets(rule: RuleValue, report: Report): void {
  let seen4 = false;
  let seen6 = false;
  for (const side of SIDES) {
    for (const list of ['nets', 'notNets'] as const) {
      const nets = rule[side]?.[list] ?? [];
      let v4 = false;
      let v6 = false;
      nets.forEach((text, i) => {
        const cidr = parseCIDR(text);
        if (!cidr) {
          report([side, list, i], 'invalid CIDR', text);
          return;
        }
        v4 ||= cidr.address.version === 4;
        v6 ||= cidr.address.version === 6;
        // Calico compares the IPv4 text exactly, but any IPv6 /0 (its network is always ::/0).
        const catchAll = cidr.address.version === 4 ? text === '0.0.0.0/0' : cidr.prefix === 0;
        if (list === 'notNets' && catchAll) {
          report([side, list, i], 'catch-all CIDR in negation creates logical contradiction (matches no traffic)', text);
        }
      });
      if (rule.ipVersion !== undefined && ((v4 && rule.ipVersion !== 4) || (v6 && rule.ipVersion !== 6))) {
        report([side, list], "rule IP version doesn't match CIDR version", nets);
      }
      if ((v4 && seen6) || (v6 && seen4) || (v4 && v6)) report([side, list], 'rule contains both IPv4 and IPv6 CIDRs', nets);
      seen4 ||= v4;
      seen6 ||= v6;
    }
  }
}

/** The CEL rules of `Rule`. */
function checkCELRules(rule: RuleValue, report: Report): void {
  if (rule.http) {
    if (rule.protocol !== undefined && rule.protocol !== 'TCP' && rule.protocol !== 6) {
      report(['http'], 'rules with HTTP match must have protocol TCP or unset');
    }
    if (rule.action !== 'Allow') report(['http'], 'HTTP match is only valid on Allow rules');
  }
  const dst: EntityRuleValue | undefined = rule.destination;
  if (dst?.services && (dst.ports?.length || dst.notPorts?.length)) {
    report(['destination'], 'ports and notPorts cannot be specified with services');
  }
  if (rule.icmp && !isICMP(rule.protocol) && !isICMPv6(rule.protocol)) {
    report(['icmp'], 'ICMP fields require protocol to be ICMP or ICMPv6');
  }
  for (const field of ['protocol', 'notProtocol'] as const) {
    const p = rule[field];
    if (rule.ipVersion === undefined) continue;
    if (isICMP(p) && rule.ipVersion !== 4) report([field], 'protocol ICMP requires ipVersion 4', p);
    if (isICMPv6(p) && rule.ipVersion !== 6) report([field], 'protocol ICMPv6 requires ipVersion 6', p);
  }
}

const ruleFields = {
  action: required(always(enumOf(ACTIONS))),
  ipVersion: pointer(int({ enum: [4, 6] })),
  protocol: pointer(protocol()),
  icmp: pointer(ICMPFields),
  notProtocol: pointer(protocol()),
  notICMP: pointer(ICMPFields),
  source: omitzero(EntityRule),
  destination: omitzero(EntityRule),
  http: pointer(HTTPMatch),
  metadata: pointer(RuleMetadata),
};

/** A decoded rule. */
export type RuleValue = StructValue<typeof ruleFields>;

/** `Rule`: one policy rule. */
export const Rule = struct('Rule', ruleFields, {
  rules: [checkPortsAgainstProtocol, checkNets, checkCELRules],
});
