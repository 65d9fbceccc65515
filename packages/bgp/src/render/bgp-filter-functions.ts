/**
 * BGPFilter resources → BIRD functions (spec bgp.md §5.6): one function per filter, direction
 * and family, named as Calico names them (`'bgp_<name>_importFilterV4'`), run by a peer's
 * import/export filter before the Calico logic. A rule that matches accepts or rejects the
 * route, which ends the filter; a route no rule matches falls through to the Calico logic.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Resource } from '@percale/api';
import { parseAddress, parseCommunity, type Family } from './bgp-model.ts';

/** Filter direction. */
export type Direction = 'import' | 'export';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

// BIRD symbols are at most 64 characters.
const MAX_SYMBOL = 64;
const HASH_CHARS = 10;
const utf8 = new TextEncoder();

/**
 * The BIRD function name for a filter, quoted (filter names may contain `-` and `.`). Long
 * names are cut and suffixed with part of their SHA-256, as Calico does, to fit 64 characters.
 */
export function bgpFilterFunctionName(filterName: string, direction: Direction, family: Family): string {
  const suffix = `_${direction}FilterV${family}`;
  const room = MAX_SYMBOL - 'bgp_'.length - suffix.length;
  let name = filterName;
  if (name.length > room) {
    const hash = bytesToHex(sha256(utf8.encode(filterName))).toUpperCase().slice(0, HASH_CHARS);
    name = `${filterName.slice(0, room - HASH_CHARS - 1)}_${hash}`;
  }
  return `'bgp_${name}${suffix}'`;
}

/** The rule list of a filter for one direction and family. */
export function filterRules(filter: Resource, direction: Direction, family: Family): readonly Json[] {
  const member = `${direction}V${family}`;
  const rules = obj(filter.spec)[member];
  return Array.isArray(rules) ? rules.map(obj) : [];
}

const OPERATORS: Record<string, string> = { Equal: '=', NotEqual: '!=', In: '~', NotIn: '!~' };

/** BIRD text of one community value, `(a, b)` or `(a, b, c)`; undefined when out of range (see {@link parseCommunity}). */
function communityTuple(value: string): { large: boolean; text: string } | undefined {
  const parts = parseCommunity(value);
  return parts && { large: parts.length === 3, text: `(${parts.join(', ')})` };
}

/**
 * The BIRD condition of a rule (a conjunction of its match fields), or `undefined` when the
 * rule carries a field this renderer cannot express (the caller reports it). An empty
 * conjunction is `true`: a rule without match fields applies to every route.
 */
export function ruleCondition(rule: Json, family: Family): string | undefined {
  const terms: string[] = [];
  const cidr = str(rule.cidr);
  if (cidr) {
    const op = OPERATORS[str(rule.matchOperator)];
    const [addr, len] = cidr.split('/');
    const parsed = addr ? parseAddress(addr) : undefined;
    if (!op || !parsed || parsed.family !== family || !len || !/^\d+$/.test(len)) return undefined;
    const net = `${parsed.address}/${Number(len)}`;
    const prefixLength = rule.prefixLength === undefined ? undefined : obj(rule.prefixLength);
    if (prefixLength) {
      // Calico clamps the bounds to the CIDR's own length and the family's maximum.
      const min = Math.max(Number(len), typeof prefixLength.min === 'number' ? prefixLength.min : 0);
      const max = Math.min(family === 4 ? 32 : 128, typeof prefixLength.max === 'number' ? prefixLength.max : 128);
      terms.push(`(net ${op} [ ${net}{${min},${max}} ])`);
    } else {
      terms.push(`(net ${op} ${net})`);
    }
  }
  if (rule.source !== undefined && rule.source !== '') {
    if (rule.source !== 'RemotePeers') return undefined;
    terms.push('((defined(source)) && (source ~ [ RTS_BGP ]))');
  }
  const iface = str(rule.interface);
  if (iface) {
    if (!/^[a-zA-Z0-9_.*-]{1,15}$/.test(iface)) return undefined;
    terms.push(`((defined(ifname)) && (ifname ~ "${iface}"))`);
  }
  if (rule.peerType !== undefined && rule.peerType !== '') {
    if (rule.peerType !== 'iBGP' && rule.peerType !== 'eBGP') return undefined;
    terms.push(rule.peerType === 'iBGP' ? '(internal_peer)' : '(!internal_peer)');
  }
  const communities = obj(rule.communities).values;
  if (Array.isArray(communities) && communities.length) {
    for (const value of communities) {
      const c = communityTuple(str(value));
      if (!c) return undefined;
      terms.push(`(${c.large ? 'bgp_large_community' : 'bgp_community'} ~ [ ${c.text} ])`);
    }
  }
  const asPath = rule.asPathPrefix;
  if (Array.isArray(asPath) && asPath.length) {
    if (!asPath.every((a) => typeof a === 'number' && Number.isInteger(a) && a >= 0)) return undefined;
    terms.push(`(bgp_path ~ [= ${asPath.join(' ')} * =])`);
  }
  if (typeof rule.priority === 'number') terms.push(`((defined(krt_metric)) && (krt_metric = ${rule.priority}))`);
  return terms.length ? terms.join(' && ') : 'true';
}

/** BIRD statements of a rule's operations (only valid on Accept rules), or undefined if one is unknown. */
function ruleOperations(rule: Json): string[] | undefined {
  const out: string[] = [];
  for (const op of Array.isArray(rule.operations) ? rule.operations.map(obj) : []) {
    if (op.addCommunity !== undefined) {
      const c = communityTuple(str(obj(op.addCommunity).value));
      if (!c) return undefined;
      out.push(`${c.large ? 'bgp_large_community' : 'bgp_community'}.add(${c.text});`);
    } else if (op.prependASPath !== undefined) {
      const prefix = obj(op.prependASPath).prefix;
      if (!Array.isArray(prefix) || !prefix.every((a) => typeof a === 'number')) return undefined;
      // Prepending the last AS first leaves the list in the written order at the path's head.
      for (const as of [...prefix].reverse()) out.push(`bgp_path.prepend(${as as number});`);
    } else if (op.setPriority !== undefined) {
      const value = obj(op.setPriority).value;
      if (typeof value !== 'number') return undefined;
      out.push(`krt_metric = ${value};`);
    } else {
      return undefined;
    }
  }
  return out;
}

/** The rendered functions of all filters, and a problem per rule that could not be rendered. */
export interface RenderedFilters {
  readonly text: string;
  /** `<function name>` for each filter, direction and family that has rules. */
  readonly defined: ReadonlySet<string>;
  readonly warnings: readonly string[];
}

/**
 * BIRD functions for every BGPFilter with rules, sorted by filter name. A rule that cannot be
 * rendered is left out with a warning rather than failing the whole configuration; leaving
 * out a Reject rule accepts more than the operator asked, so the warning says so.
 */
export function renderBgpFilterFunctions(filters: readonly Resource[], families: readonly Family[]): RenderedFilters {
  const lines: string[] = [];
  const defined = new Set<string>();
  const warnings: string[] = [];
  const sorted = [...filters].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const family of families) {
    for (const filter of sorted) {
      const name = filter.metadata.name ?? '';
      if (!name) continue;
      for (const direction of ['import', 'export'] as const) {
        const rules = filterRules(filter, direction, family);
        if (!rules.length) continue;
        const fn = bgpFilterFunctionName(name, direction, family);
        defined.add(fn);
        lines.push(`# BGPFilter ${name}: ${direction}V${family}`, `function ${fn}(bool internal_peer)`, '{');
        rules.forEach((rule, i) => {
          const condition = ruleCondition(rule, family);
          const operations = ruleOperations(rule);
          const action = rule.action === 'Accept' ? 'accept' : rule.action === 'Reject' ? 'reject' : undefined;
          if (condition === undefined || operations === undefined || action === undefined) {
            warnings.push(`BGPFilter(${name}).spec.${direction}V${family}[${i}] cannot be rendered for BIRD and is ignored: ${JSON.stringify(rule)}`);
            lines.push(`  # rule ${i} ignored: it cannot be rendered`);
            return;
          }
          lines.push(`  if (${condition}) then { ${[...(action === 'accept' ? operations : []), `${action};`].join(' ')} }`);
        });
        lines.push('}', '');
      }
    }
  }
  return { text: lines.join('\n'), defined, warnings };
}
