/**
 * IPPool (cluster-scoped): a range workload, tunnel or load-balancer addresses come from
 * (resources.md §4.1). The CRD's CEL rules are struct rules here; the client canonicalises the
 * CIDR and fills in the pool defaults on write and when reading.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { Condition } from '../schema/object-meta.ts';
import { bool, enumOf, int, string } from '../schema/scalars.ts';
import { always, defaulted, pointer, required, struct, type StructValue } from '../schema/struct.ts';
import { isStrictlyMasked, networkAddress, networkContains, parseCIDR, parseCIDROrIP, type IPNetwork } from '../validation/net.ts';
import { selectorSyntax } from '../validation/selectors.ts';
import { cidrFormat } from './infrastructure-checks.ts';
import { canonicalCIDR } from './ip-pool-cidr.ts';
import type { Report } from '../schema/types.ts';
import type { Resource } from './types.ts';

/** Block size a pool gets when none is set, by IP version. */
const DEFAULT_BLOCK_SIZE = { 4: 26, 6: 122 } as const;

/** Allowed uses a pool gets when none are set. */
const DEFAULT_ALLOWED_USES: readonly string[] = ['Workload', 'Tunnel'];

const encapMode = enumOf(['Never', 'Always', 'CrossSubnet']);

/** Go's validator: the CIDR parses (as a CIDR or an address). */
const poolCIDR = (s: string) => (parseCIDROrIP(s) ? cidrFormat(s) : 'IPPool CIDR must be a valid subnet');

const fields = {
  cidr: required(always(string({ maxLength: 48, check: poolCIDR })), 'IPPool CIDR must be specified'),
  vxlanMode: encapMode,
  ipipMode: encapMode,
  natOutgoing: bool(),
  disabled: bool(),
  disableBGPExport: bool(),
  blockSize: int({ min: 0, max: 128 }),
  nodeSelector: defaulted(string({ maxLength: 1024, check: selectorSyntax }), 'all()'),
  namespaceSelector: string({ maxLength: 1024, check: selectorSyntax }),
  allowedUses: list(enumOf(['Workload', 'Tunnel', 'LoadBalancer']), { maxItems: 10, unique: true }),
  assignmentMode: defaulted(pointer(enumOf(['Automatic', 'Manual'])), 'Automatic'),
};
type IPPoolSpecValue = StructValue<typeof fields>;

const LINK_LOCAL_V4 = parseCIDR('169.254.0.0/16')!;
const LINK_LOCAL_V6 = parseCIDR('fe80::/10')!;

/** CEL `cidr(a).containsIP(b.ip()) || cidr(b).containsIP(a's first address)`, within one family. */
function overlaps(pool: IPNetwork, range: IPNetwork): boolean {
  return networkContains(range, pool.address) || networkContains(pool, networkAddress(range));
}

/** The pool's CEL rules and the Go struct validator's mask check. */
function poolRules(spec: IPPoolSpecValue, report: Report): void {
  const uses = spec.allowedUses ?? [];
  const lb = uses.includes('LoadBalancer');
  const ipip = !!spec.ipipMode && spec.ipipMode !== 'Never';
  const vxlan = !!spec.vxlanMode && spec.vxlanMode !== 'Never';
  if (ipip && vxlan) report(['ipipMode'], 'ipipMode and vxlanMode cannot both be enabled', spec.ipipMode);
  if (lb && (ipip || vxlan)) report(['allowedUses'], 'LoadBalancer IP pool cannot have IPIP or VXLAN enabled', uses);
  if (lb && uses.some((u) => u === 'Workload' || u === 'Tunnel')) {
    report(['allowedUses'], 'LoadBalancer cannot be combined with Workload or Tunnel allowed uses', uses);
  }
  if (lb && spec.disableBGPExport) report(['disableBGPExport'], 'LoadBalancer IP pools cannot disable BGP export', true);
  if (lb && spec.nodeSelector !== 'all()') {
    report(['nodeSelector'], 'IP Pool with AllowedUse LoadBalancer must have nodeSelector set to all()', spec.nodeSelector ?? '');
  }
  if (uses.includes('Tunnel') && spec.namespaceSelector) {
    report(['namespaceSelector'], 'IP Pool with AllowedUse Tunnel cannot have namespaceSelector', spec.namespaceSelector);
  }
  if (spec.nodeSelector?.includes('global(')) report(['nodeSelector'], 'global() selector is not valid for IPPool nodeSelector', spec.nodeSelector);
  if (spec.namespaceSelector?.includes('global(')) {
    report(['namespaceSelector'], 'global() selector is not valid for IPPool namespaceSelector', spec.namespaceSelector);
  }

  // The rules below read the CIDR; an unparsable one has been reported already.
  const net = parseCIDR(spec.cidr ?? '');
  if (!net) return;
  const cidr = spec.cidr!;
  const v6 = net.address.version === 6;
  if (!isStrictlyMasked(net)) report(['cidr'], 'IP pool CIDR is not strictly masked', cidr);
  if (!v6 && overlaps(net, LINK_LOCAL_V4)) report(['cidr'], 'IPPool CIDR overlaps with IPv4 link local range 169.254.0.0/16', cidr);
  if (v6 && overlaps(net, LINK_LOCAL_V6)) report(['cidr'], 'IPPool CIDR overlaps with IPv6 link local range fe80::/10', cidr);
  if (v6 && ipip) report(['ipipMode'], 'IPIP is not supported on IPv6 pools', spec.ipipMode);
  const blockSize = spec.blockSize ?? 0;
  if (blockSize !== 0 && (v6 ? blockSize < 116 || blockSize > 128 : blockSize < 20 || blockSize > 32)) {
    report(['blockSize'], 'blockSize must be between 20 and 32 for IPv4 pools, and between 116 and 128 for IPv6 pools', blockSize);
  }
  if (!spec.disabled && net.prefix > (blockSize || DEFAULT_BLOCK_SIZE[net.address.version])) {
    report(['cidr'], 'IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.', cidr);
  }
}

/** `IPPoolSpec`. */
export const IPPoolSpec = struct('IPPoolSpec', fields, { rules: [poolRules] });

/** `IPPoolStatus` (a pointer in Go: absent unless a controller wrote it). */
export const IPPoolStatus = struct('IPPoolStatus', {
  conditions: list(Condition),
});

/** The IP version of a pool CIDR, or undefined when it does not parse as a CIDR. */
function versionOf(cidr: unknown): 4 | 6 | undefined {
  return typeof cidr === 'string' ? parseCIDR(cidr)?.address.version : undefined;
}

/** Fills the members Calico's client defaults; `spec` must be an object. */
function withPoolDefaults(spec: Record<string, unknown>): Record<string, unknown> {
  const out = { ...spec };
  const version = versionOf(out.cidr);
  if (!out.blockSize && version) out.blockSize = DEFAULT_BLOCK_SIZE[version];
  if (!Array.isArray(out.allowedUses) || out.allowedUses.length === 0) out.allowedUses = [...DEFAULT_ALLOWED_USES];
  if (!out.nodeSelector) out.nodeSelector = 'all()';
  if (!out.ipipMode) out.ipipMode = 'Never';
  if (!out.vxlanMode) out.vxlanMode = 'Never';
  out.assignmentMode ??= 'Automatic';
  return out;
}

/**
 * Client defaulting on create and update: the CIDR in canonical text (a CIDR with host bits set
 * is left as written, so validation reports it), then the pool defaults of §4.1.
 */
function createDefaults(res: Resource): Resource {
  const spec: Record<string, unknown> = { ...res.spec };
  if (typeof spec.cidr === 'string') {
    const net = parseCIDR(spec.cidr);
    if (net && isStrictlyMasked(net)) spec.cidr = canonicalCIDR(spec.cidr) ?? spec.cidr;
  }
  return { ...res, spec: withPoolDefaults(spec) };
}

/** The IPPool kind. */
export const IPPool = defineKind({
  kind: 'IPPool',
  spec: IPPoolSpec,
  status: IPPoolStatus,
  statusIsPointer: true,
  createDefaults,
  // Pools stored without the defaults (by older writers) read back with them.
  readDefaults: (res) => (versionOf(res.spec?.cidr) ? { ...res, spec: withPoolDefaults({ ...res.spec }) } : res),
});
