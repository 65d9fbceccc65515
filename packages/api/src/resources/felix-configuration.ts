/**
 * FelixConfiguration (cluster-scoped): Felix's settings, cluster-wide (`default`), per node
 * (`node.<name>`) or for the nodes a `nodeSelector` picks (resources.md §4.5, Appendix A). The
 * ~190 plain members are built from the generated field table; the structured members, the Go
 * struct validator, the CEL rules and the client defaults are written out here.
 * @module
 */
import { list, map } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { bool, enumOf, int, string, type StringCheck } from '../schema/scalars.ts';
import { always, defaulted, pointer, struct, type FieldLike, type FieldSpec } from '../schema/struct.ts';
import type { ValueType } from '../schema/types.ts';
import { dscp, duration, port, portParts, type ValueCheck } from '../schema/unions.ts';
import { parseGoDuration } from '../schema/go-duration.ts';
import { interfaceName } from '../validation/names.ts';
import { cidrOrIP, parseCIDROrIP, parseIP } from '../validation/net.ts';
import { FELIX_FIELDS, type FelixFieldFact } from './felix-configuration-fields.ts';
import {
  crdPattern, goRegexp, interfaceFilter, keyValueList, prometheusHost,
} from './infrastructure-checks.ts';
import type { Resource } from './types.ts';

/** Go's Port validator: a numeric port or range must start at 1 or more. */
const portAtLeastOne: ValueCheck<number | string> = (value) => {
  const parts = portParts(value);
  return 'minPort' in parts && parts.minPort < 1 ? 'port range invalid, port number must be between 1 and 65535' : undefined;
};

/** `HealthTimeoutOverride`: a health-check timeout for one of Felix's components. */
export const HealthTimeoutOverride = struct('HealthTimeoutOverride', {
  name: always(string()),
  timeout: always(duration()),
}, {
  rules: [
    (o, report) => {
      if (!/^[a-zA-Z0-9_ -]+$/.test(o.name ?? '')) report(['name'], 'name should match regex ^[a-zA-Z0-9_ -]+$', o.name ?? '');
      if (o.timeout !== undefined && parseGoDuration(o.timeout) < 0n) report(['timeout'], 'Timeout should not be negative', o.timeout);
    },
  ],
});

/** `RouteTableRange` (deprecated): a range of the kernel's 250 numbered tables. */
export const RouteTableRange = struct('RouteTableRange', {
  min: always(int()),
  max: always(int()),
}, {
  rules: [
    (r, report) => {
      const min = r.min ?? 0;
      const max = r.max ?? 0;
      if (!(min >= 1 && max >= min && max <= 250)) report([], 'must be a range of route table indices within 1..250', { min, max });
    },
  ],
});

/** Most tables `routeTableRanges` may designate in total. */
export const MAX_ROUTE_TABLES = 0xffff;

/** `RouteTableIDRange`: one range of route table indices. */
export const RouteTableIDRange = struct('RouteTableIDRange', {
  min: always(int()),
  max: always(int()),
}, {
  rules: [
    (r, report) => {
      const min = r.min ?? 0;
      const max = r.max ?? 0;
      if (min < 1) report(['min'], 'min must be >= 1', min);
      if (min > max) report(['max'], 'min must not be greater than max', max);
      if (max > 0xffffffff) report(['max'], 'max index too high', max);
    },
  ],
});

const conntrackTimeout = pointer(string({ check: crdPattern('^(([0-9]*(\\.[0-9]*)?(ms|s|h|m|us)+)+|Auto)$') }));

/** `BPFConntrackTimeouts`: per-state conntrack timeouts of the BPF dataplane. */
export const BPFConntrackTimeouts = struct('BPFConntrackTimeouts', {
  creationGracePeriod: conntrackTimeout,
  tcpSynSent: conntrackTimeout,
  tcpEstablished: conntrackTimeout,
  tcpFinsSeen: conntrackTimeout,
  tcpResetSeen: conntrackTimeout,
  udpTimeout: conntrackTimeout,
  genericTimeout: conntrackTimeout,
  icmpTimeout: conntrackTimeout,
});

/**
 * A failsafe port entry. Calico's validator does not look inside the failsafe lists, so the
 * ProtoPort protocol rule does not apply (Felix accepts `tcp` as well as `TCP` there). It has
 * no type name, so it never stands in for `ProtoPort` when fragments are looked up by name.
 */
const failsafePort: ValueType<unknown> = (() => {
  const { typeName: _unused, ...type } = struct('ProtoPort', {
    protocol: string(),
    port: always(int({ go: 'uint16' })),
    net: string(),
  });
  return type as ValueType<unknown>;
})();

/** Members whose Go type is not a scalar or a string enum. */
const STRUCTURED: Readonly<Record<string, ValueType<unknown>>> = {
  '[]HealthTimeoutOverride': list(HealthTimeoutOverride) as ValueType<unknown>,
  '*RouteTableRange': RouteTableRange as ValueType<unknown>,
  '*RouteTableRanges': list(RouteTableIDRange) as ValueType<unknown>,
  '*BPFConntrackTimeouts': BPFConntrackTimeouts as ValueType<unknown>,
  '*[]ProtoPort': list(failsafePort) as ValueType<unknown>,
  '*numorstring.DSCP': dscp() as ValueType<unknown>,
};

/** `bpfLogFilters` keys: interface names (`all` included), no wildcards. */
const logFilterInterface: StringCheck = (s) =>
  (/^[a-zA-Z0-9_.-]{1,15}$/.test(s) ? undefined : 'interface name must be 1-15 characters from [a-zA-Z0-9_.-]');

/** Field checks named by Go validate tags. */
const TAG_CHECKS: Readonly<Record<string, StringCheck>> = {
  keyValueList, regexp: goRegexp, prometheusHost, ifaceFilter: interfaceFilter, interface: interfaceName,
  cidrs: cidrOrIP, ifaceFilterSlice: interfaceFilter,
};

/** The bounds a validate tag and the CRD markers put on an integer (the stricter of both). */
function intBounds(fact: FelixFieldFact, tags: readonly string[]): { min?: number; max?: number } {
  let min = fact.minimum;
  let max = fact.maximum;
  for (const tag of tags) {
    const [op, text] = tag.split('=');
    const n = Number(text);
    if (op === 'gte') min = Math.max(min ?? n, n);
    if (op === 'gt') min = Math.max(min ?? n + 1, n + 1);
    if (op === 'lte') max = Math.min(max ?? n, n);
    if (op === 'lt') max = Math.min(max ?? n - 1, n - 1);
  }
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

/** The schema member for one field of the generated table. */
function member(fact: FelixFieldFact): FieldLike<unknown> {
  const tags = (fact.validate ?? '').split(',').filter((t) => t !== '' && t !== 'omitempty' && t !== 'dive');
  const oneOf = tags.find((t) => t.startsWith('oneof='))?.slice('oneof='.length).split(' ');
  const checks: StringCheck[] = [];
  if (fact.pattern) checks.push(crdPattern(fact.pattern));
  for (const tag of tags) if (TAG_CHECKS[tag]) checks.push(TAG_CHECKS[tag]);
  const values = fact.enum ?? oneOf;
  const text = () => (values
    ? enumOf(values, { check: checks, ...(fact.maxLength ? { maxLength: fact.maxLength } : {}) })
    : string({ check: checks, ...(fact.maxLength ? { maxLength: fact.maxLength } : {}) }));

  const base = fact.go.replace(/^\*/, '');
  let type: ValueType<unknown>;
  if (STRUCTURED[fact.go]) type = STRUCTURED[fact.go]!;
  else if (base === 'bool') type = bool() as ValueType<unknown>;
  else if (base === 'int' || base === 'int64') type = int({ go: base, ...intBounds(fact, tags) }) as ValueType<unknown>;
  else if (base === 'metav1.Duration') type = duration(...(fact.pattern ? [crdPattern(fact.pattern)] : [])) as ValueType<unknown>;
  else if (base === 'numorstring.Port') type = port(portAtLeastOne) as ValueType<unknown>;
  else if (base === '[]numorstring.Port') type = list(port(portAtLeastOne), fact.maxItems ? { maxItems: fact.maxItems } : {}) as ValueType<unknown>;
  else if (base === '[]string') type = list(string({ check: checks })) as ValueType<unknown>;
  else if (base === 'map[string]string') type = map(string(), { key: logFilterInterface }) as ValueType<unknown>;
  else if (base === 'string' || /^[A-Z]\w*$/.test(base)) type = text() as ValueType<unknown>;
  else throw new Error(`FelixConfiguration field ${fact.json}: no schema for Go type ${fact.go}`);

  let field: FieldSpec<unknown> = fact.go.startsWith('*') ? pointer(type) : fact.always ? always(type) : { type, presence: 'omitempty' };
  if (fact.crdDefault !== undefined) field = defaulted(field, fact.crdDefault);
  return field;
}

const fields: Record<string, FieldLike<unknown>> = Object.fromEntries(FELIX_FIELDS.map((f) => [f.json, member(f)]));

/** The members the Go struct validator and the CEL rules look at. */
interface FelixSpecView {
  readonly kubeNodePortRanges?: readonly (number | string)[];
  readonly externalNodesList?: readonly string[];
  readonly openstackRegion?: string;
  readonly natOutgoingAddress?: string;
  readonly deviceRouteSourceAddress?: string;
  readonly deviceRouteSourceAddressIPv6?: string;
  readonly routeTableRange?: unknown;
  readonly routeTableRanges?: readonly { readonly min?: number; readonly max?: number }[];
}

/** Longest OpenStack region that still gives a valid namespace name `openstack-region-<region>`. */
export const MAX_OPENSTACK_REGION_LENGTH = 63 - 'openstack-region-'.length;

/** `FelixConfigurationSpec`. */
export const FelixConfigurationSpec = struct('FelixConfigurationSpec', fields, {
  rules: [
    // Go struct validator.
    (raw, report) => {
      const spec = raw as FelixSpecView;
      const ranges = spec.kubeNodePortRanges;
      if (ranges && ranges.length > 7) report(['kubeNodePortRanges'], 'node port ranges list is too long (max 7)', ranges);
      ranges?.forEach((p, i) => {
        if (typeof p === 'string' && 'portName' in portParts(p)) report(['kubeNodePortRanges', i], 'node port ranges should not contain named ports', p);
      });
      spec.externalNodesList?.forEach((cidr, i) => {
        const net = parseCIDROrIP(cidr);
        if (!net) report(['externalNodesList', i], 'has invalid CIDR(s)', cidr);
        else if (net.address.version !== 4) report(['externalNodesList', i], 'has invalid IPv6 CIDR', cidr);
      });
      const region = spec.openstackRegion ?? '';
      if (region.length > MAX_OPENSTACK_REGION_LENGTH) report(['openstackRegion'], 'is too long', region);
      else if (region && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(region)) report(['openstackRegion'], 'must be a valid DNS label', region);
      const tables = (spec.routeTableRanges ?? []).reduce((n, r) => n + (r.max ?? 0) - (r.min ?? 0) + 1, 0);
      if (tables > MAX_ROUTE_TABLES) report(['routeTableRanges'], 'targets too many tables', spec.routeTableRanges);
    },
    // CEL rules (which also cover what Go's "is not a valid IP address" checks reject).
    (raw, report) => {
      const spec = raw as FelixSpecView;
      if (spec.routeTableRange !== undefined && spec.routeTableRanges !== undefined) {
        report(['routeTableRange'], 'routeTableRange and routeTableRanges cannot both be set');
      }
      const family = (member: 'natOutgoingAddress' | 'deviceRouteSourceAddress' | 'deviceRouteSourceAddressIPv6', version: 4 | 6) => {
        const text = spec[member];
        if (text && parseIP(text)?.version !== version) report([member], `${member} must be a valid IPv${version} address`, text);
      };
      family('natOutgoingAddress', 4);
      family('deviceRouteSourceAddress', 4);
      family('deviceRouteSourceAddressIPv6', 6);
    },
  ],
});

/**
 * Client defaulting on create and update (§4.5): floating IPs off, connect-time load balancing
 * for TCP, host-networked NAT without it enabled — and the deprecated boolean
 * `bpfConnectTimeLoadBalancingEnabled`, when set, translated into both of the latter.
 */
function createDefaults(res: Resource): Resource {
  const spec: Record<string, unknown> = { ...res.spec };
  spec.floatingIPs ??= 'Disabled';
  spec.bpfConnectTimeLoadBalancing ??= 'TCP';
  spec.bpfHostNetworkedNATWithoutCTLB ??= 'Enabled';
  if (typeof spec.bpfConnectTimeLoadBalancingEnabled === 'boolean') {
    spec.bpfHostNetworkedNATWithoutCTLB = 'Disabled';
    spec.bpfConnectTimeLoadBalancing = spec.bpfConnectTimeLoadBalancingEnabled ? 'Enabled' : 'Disabled';
  }
  return { ...res, spec };
}

/** The FelixConfiguration kind. */
export const FelixConfiguration = defineKind({
  kind: 'FelixConfiguration',
  spec: FelixConfigurationSpec,
  rules: [
    // CEL: a node selector only on the configurations that are not global or per node.
    (res, report) => {
      const name = res.metadata.name ?? '';
      if ((name === 'default' || name.startsWith('node.')) && (res.spec as { nodeSelector?: string }).nodeSelector !== undefined) {
        report(['spec', 'nodeSelector'], "nodeSelector must not be set on the 'default' or per-node ('node.*') FelixConfiguration");
      }
    },
  ],
  createDefaults,
});
