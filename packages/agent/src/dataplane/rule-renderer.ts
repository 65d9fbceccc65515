/**
 * Compiles one Calico policy/profile rule into nft rules for the inet table (agent-dataplane.md
 * §5.6 semantics with the §12 improvements): match and verdict in one nft rule; a rule that
 * applies to both families and has no family-specific match is written once; lists of ports or
 * CIDRs become content-addressed named sets (never inline `{ … }` sets, which make loads
 * quadratic); disjunctions that nft cannot express in one rule (numeric ports OR named ports,
 * `notICMP` with type and code) become consecutive rules with the same verdict.
 * @module
 */
import { formatCidr, isCatchAll, parseCidr, type Cidr } from '../drivers/nftables/cidr.ts';
import type { NftRule } from '../drivers/nftables/model.ts';
import type { ICMPMatch, PortRange, Rule } from '../messages.ts';
import { clearMark, markSet, setMark, type MarkBits } from './marks.ts';
import { NetCover } from './net-cover.ts';

/** What rendering needs from its surroundings. */
export interface RuleContext {
  /** Families rendered (IPv6 only when enabled). */
  readonly families: readonly (4 | 6)[];
  readonly marks: MarkBits;
  readonly denyVerdict: 'drop' | 'reject';
  /** The set name of a calculation-graph IP set in one family. */
  ipSetName(id: string, family: 4 | 6): string;
  /** Declares a content-addressed set (`ports`: `80`/`80-90`; `nets4`/`nets6`: CIDRs) and returns its name. */
  sharedSet(kind: 'ports' | 'nets4' | 'nets6', elements: readonly string[]): string;
  /** `log` rules: the expanded prefix and optional nft rate limit (`10/second`) with burst. */
  readonly logPrefix: string;
  readonly logRateLimit?: string | undefined;
  readonly logRateBurst?: number;
}

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

function protoText(p: number): string {
  return PROTO_NAMES[p] ?? String(p);
}

/** Merges overlapping or adjacent ranges; returns nft texts (`80`, `1000-2000`) in order. */
export function normalisePorts(ports: readonly PortRange[]): string[] {
  const sorted = [...ports].map((p) => [Math.min(p.first, p.last), Math.max(p.first, p.last)] as [number, number]).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  return merged.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
}

/** The CIDRs of one family, reduced to their maximal cover (an interval set cannot hold overlaps). */
function familyNets(nets: readonly string[], family: 4 | 6): Cidr[] {
  if (nets.length === 0) return [];
  const cover = new NetCover();
  for (const n of nets) if (parseCidr(n)?.family === family) cover.add(n);
  return [...cover.elements].map((e) => parseCidr(e)!);
}

const FAMILY_SPECIFIC = /^(ip|ip6|icmp|icmpv6) /;

class FamilyRenderer {
  readonly #rule: Rule;
  readonly #f: 4 | 6;
  readonly #ctx: RuleContext;
  readonly #ip: 'ip' | 'ip6';
  /** Each slot holds alternatives; the rule matches the conjunction of one alternative per slot. */
  readonly #slots: string[][] = [];

  constructor(rule: Rule, family: 4 | 6, ctx: RuleContext) {
    this.#rule = rule;
    this.#f = family;
    this.#ctx = ctx;
    this.#ip = family === 4 ? 'ip' : 'ip6';
  }

  #term(t: string): void {
    this.#slots.push([t]);
  }

  #netsTerm(nets: readonly Cidr[]): string {
    if (nets.length === 1) return formatCidr(nets[0]!);
    const texts = nets.map(formatCidr).sort();
    return `@${this.#ctx.sharedSet(this.#f === 4 ? 'nets4' : 'nets6', texts)}`;
  }

  #portsTerm(ports: readonly PortRange[]): string {
    const texts = normalisePorts(ports);
    return texts.length === 1 ? texts[0]! : `@${this.#ctx.sharedSet('ports', texts)}`;
  }

  #icmpKeyword(): 'icmp' | 'icmpv6' {
    const p = this.#rule.protocol;
    if (p === 58) return 'icmpv6';
    if (p === 1) return 'icmp';
    return this.#f === 6 ? 'icmpv6' : 'icmp';
  }

  #icmpTerm(m: ICMPMatch): string {
    const kw = this.#icmpKeyword();
    return m.code === undefined ? `${kw} type ${m.type}` : `${kw} type ${m.type} ${kw} code ${m.code}`;
  }

  #ports(dir: 'sport' | 'dport', addr: 'saddr' | 'daddr', ports: readonly PortRange[], namedSets: readonly string[]): void {
    const alternatives: string[] = [];
    if (ports.length > 0) alternatives.push(`th ${dir} ${this.#portsTerm(ports)}`);
    for (const id of namedSets) alternatives.push(`${this.#ip} ${addr} . meta l4proto . th ${dir} @${this.#ctx.ipSetName(id, this.#f)}`);
    if (alternatives.length > 0) this.#slots.push(alternatives);
  }

  /**
   * Renders the rule for this family as alternatives of conjunctions (usually exactly one), or
   * undefined when it cannot match packets of the family.
   */
  render(): string[][] | undefined {
    const r = this.#rule;
    const f = this.#f;
    const ip = this.#ip;
    if (r.ipVersion !== undefined && r.ipVersion !== f) return undefined;
    const src = familyNets(r.srcNets, f);
    const dst = familyNets(r.dstNets, f);
    const notSrc = familyNets(r.notSrcNets, f);
    const notDst = familyNets(r.notDstNets, f);
    // A positive CIDR list with no address of this family matches nothing here.
    if ((r.srcNets.length > 0 && src.length === 0) || (r.dstNets.length > 0 && dst.length === 0)) return undefined;
    // "not in 0.0.0.0/0" matches nothing.
    if (notSrc.some(isCatchAll) || notDst.some(isCatchAll)) return undefined;
    // ICMP type matches are family-specific: ICMP (1) only exists in IPv4, ICMPv6 (58) in IPv6.
    if ((r.icmp || r.notICMP) && ((r.protocol === 1 && f === 6) || (r.protocol === 58 && f === 4))) return undefined;

    if (r.protocol !== undefined) this.#term(`meta l4proto ${protoText(r.protocol)}`);
    if (src.length > 0) this.#term(`${ip} saddr ${this.#netsTerm(src)}`);
    for (const id of r.srcIPSets) this.#term(`${ip} saddr @${this.#ctx.ipSetName(id, f)}`);
    this.#ports('sport', 'saddr', r.srcPorts, r.srcNamedPortIPSets);
    if (dst.length > 0) this.#term(`${ip} daddr ${this.#netsTerm(dst)}`);
    for (const id of r.dstIPSets) this.#term(`${ip} daddr @${this.#ctx.ipSetName(id, f)}`);
    this.#ports('dport', 'daddr', r.dstPorts, r.dstNamedPortIPSets);
    if (r.icmp) this.#term(this.#icmpTerm(r.icmp));

    if (r.notProtocol !== undefined) this.#term(`meta l4proto != ${protoText(r.notProtocol)}`);
    if (notSrc.length > 0) this.#term(`${ip} saddr != ${this.#netsTerm(notSrc)}`);
    for (const id of r.notSrcIPSets) this.#term(`${ip} saddr != @${this.#ctx.ipSetName(id, f)}`);
    if (r.notSrcPorts.length > 0) this.#term(`th sport != ${this.#portsTerm(r.notSrcPorts)}`);
    for (const id of r.notSrcNamedPortIPSets) this.#term(`${ip} saddr . meta l4proto . th sport != @${this.#ctx.ipSetName(id, f)}`);
    if (notDst.length > 0) this.#term(`${ip} daddr != ${this.#netsTerm(notDst)}`);
    for (const id of r.notDstIPSets) this.#term(`${ip} daddr != @${this.#ctx.ipSetName(id, f)}`);
    if (r.notDstPorts.length > 0) this.#term(`th dport != ${this.#portsTerm(r.notDstPorts)}`);
    for (const id of r.notDstNamedPortIPSets) this.#term(`${ip} daddr . meta l4proto . th dport != @${this.#ctx.ipSetName(id, f)}`);
    if (r.notICMP) {
      const kw = this.#icmpKeyword();
      const { type, code } = r.notICMP;
      // not (type T and code C) = type != T, or type T with code != C.
      if (code === undefined) this.#term(`${kw} type != ${type}`);
      else this.#slots.push([`${kw} type != ${type}`, `${kw} type ${type} ${kw} code != ${code}`]);
    }

    let disjuncts: string[][] = [[]];
    for (const slot of this.#slots) disjuncts = disjuncts.flatMap((d) => slot.map((alt) => [...d, alt]));
    return disjuncts;
  }
}

/** The match alternatives of a rule across the enabled families (empty: the rule never matches). */
export function ruleMatches(rule: Rule, ctx: RuleContext): string[] {
  if (rule.neverMatches) return [];
  const v4 = ctx.families.includes(4) ? new FamilyRenderer(rule, 4, ctx).render() : undefined;
  const v6 = ctx.families.includes(6) ? new FamilyRenderer(rule, 6, ctx).render() : undefined;
  // All alternatives of one rule carry the same verdict, so their order is free: an alternative
  // without family-specific matches that both families produce is written once.
  const text = (d: readonly string[]) => d.join(' ');
  const bound = (d: readonly string[]) => d.some((t) => FAMILY_SPECIFIC.test(t));
  const shared = new Set<string>();
  if (v4 && v6) {
    const v6Free = new Set(v6.filter((d) => !bound(d)).map(text));
    for (const d of v4) if (!bound(d) && v6Free.has(text(d))) shared.add(text(d));
  }
  const out = [...shared];
  for (const [family, r] of [[4, v4], [6, v6]] as const) {
    if (!r) continue;
    for (const d of r) {
      if (shared.has(text(d))) continue;
      out.push(bound(d) ? text(d) : text([`meta nfproto ipv${family}`, ...d]));
    }
  }
  return out;
}

function sanitizeLogPrefix(prefix: string): string {
  return prefix.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, '_').slice(0, 120);
}

/** Renders rule `index` of a policy or profile chain into nft rules (none when it never matches). */
export function renderRule(rule: Rule, index: number, ctx: RuleContext): NftRule[] {
  const matches = ruleMatches(rule, ctx);
  if (matches.length === 0) return [];
  const comment = `rule ${index}`;
  const join = (match: string, stmt: string) => (match === '' ? stmt : `${match} ${stmt}`);
  const { marks } = ctx;
  switch (rule.action) {
    case 'allow':
      return matches.map((m) => ({ body: join(m, `counter ${setMark(marks.accept)} return`), comment }));
    case 'pass':
      return matches.map((m) => ({ body: join(m, `counter ${setMark(marks.pass)} return`), comment }));
    case 'deny':
      return matches.map((m) => ({ body: join(m, `counter ${ctx.denyVerdict}`), comment }));
    case 'log': {
      const limit = ctx.logRateLimit ? ` limit rate ${ctx.logRateLimit} burst ${ctx.logRateBurst ?? 5} packets` : '';
      const log = `counter${limit} log prefix "${sanitizeLogPrefix(ctx.logPrefix)}: " level info`;
      if (matches.length === 1) return [{ body: join(matches[0]!, log), comment }];
      // Several alternatives: mark any match, then log once.
      return [
        ...matches.map((m) => ({ body: join(m, setMark(marks.scratch)), comment })),
        { body: `${markSet(marks.scratch)} ${clearMark(marks.scratch)} ${log}`, comment },
      ];
    }
  }
}
