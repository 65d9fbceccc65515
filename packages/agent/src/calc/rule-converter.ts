/**
 * Reads a stored v3 policy or profile rule into the graph's parsed form (Calico's
 * `RuleAPIV3ToBackend` plus the rule scanner's selector handling), failing closed on anything
 * it cannot read. Stored data can bypass validation (networking-calico and operators write etcd
 * directly), so every field is checked here and the rule degrades by its action:
 *
 * - **Allow, Log**: an unreadable field makes the rule match nothing (`neverMatches`). The
 *   rule then allows (or logs) nothing it was not meant to; packets fall through to later rules,
 *   and at worst to the end-of-tier drop.
 * - **Deny**: an unreadable field is treated as absent. Every field narrows what a rule matches
 *   (negations too: `notNets` narrows to "outside these"), so without it the rule denies a
 *   superset of what was meant. An unreadable protocol also drops the numeric ports that need
 *   it; an unreadable `namespaceSelector` drops the namespace restriction entirely.
 * - **Pass**: with an unreadable field it becomes a Deny, read as above. A Pass hands the
 *   packet to the next tier, whose verdict the graph cannot know, so only a Deny is closed.
 * - **Unknown action** (or a rule that is not an object): a Deny, read as above.
 *
 * `services` matches (Kubernetes Services) select nothing outside Kubernetes, so such a rule
 * matches nothing whatever its action; `http` matches are for L7 proxies and ignored, as Felix's
 * own dataplane ignores them.
 * @module
 */
import { isNamedPort, parsePort, protocolNumber, type Selector } from '@percale/api';
import type { ICMPMatch, PortRange, Rule } from '../messages.ts';
import { ruleSideSelectors } from './effective-selectors.ts';
import { parseNetwork } from './net-text.ts';

/** One side of a parsed rule. */
export interface ParsedSide {
  readonly nets: readonly string[];
  readonly notNets: readonly string[];
  readonly ports: readonly PortRange[];
  readonly namedPorts: readonly string[];
  readonly notPorts: readonly PortRange[];
  readonly notNamedPorts: readonly string[];
  /** Addresses must belong to an item this matches (namespace scoping and `notSelector` included). */
  readonly selector: Selector | undefined;
  /** Addresses must not belong to an item this matches (only without `selector`). */
  readonly notSelector: Selector | undefined;
}

/** A rule with its selectors parsed, ready for the rule scanner to assign IP sets. */
export interface ParsedRule {
  readonly action: Rule['action'];
  /** Renders as nothing; kept so rule positions stay stable. */
  readonly neverMatches: boolean;
  readonly ipVersion: 4 | 6 | undefined;
  readonly protocol: number | undefined;
  readonly notProtocol: number | undefined;
  /** The protocol a named port must have: the rule's protocol, or `any` without one. */
  readonly namedPortProtocol: 'tcp' | 'udp' | 'sctp' | 'any';
  readonly icmp: ICMPMatch | undefined;
  readonly notICMP: ICMPMatch | undefined;
  readonly source: ParsedSide;
  readonly destination: ParsedSide;
}

const PROTOCOLS: Readonly<Record<string, number>> = { TCP: 6, UDP: 17, ICMP: 1, ICMPv6: 58, SCTP: 132, UDPLite: 136 };
const PORT_PROTOCOLS = new Set([6, 17, 132]);
const EMPTY_SIDE: ParsedSide = Object.freeze({
  nets: [], notNets: [], ports: [], namedPorts: [], notPorts: [], notNamedPorts: [], selector: undefined, notSelector: undefined,
});

/** Field problems found while reading one rule. */
class Reader {
  readonly unreadable: string[] = [];

  fail(field: string): undefined {
    this.unreadable.push(field);
    return undefined;
  }

  protocol(field: string, value: unknown): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string' && Object.hasOwn(PROTOCOLS, value)) return PROTOCOLS[value];
    const n = typeof value === 'number' ? value : typeof value === 'string' ? protocolNumber(value) : undefined;
    return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 255 ? n : this.fail(field);
  }

  icmp(field: string, value: unknown): ICMPMatch | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return this.fail(field);
    const { type, code } = value as { type?: unknown; code?: unknown };
    const int = (v: unknown, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
    if (type === undefined || type === null) return code === undefined || code === null ? undefined : this.fail(field);
    if (!int(type, 254) || (code !== undefined && code !== null && !int(code, 255))) return this.fail(field);
    return code === undefined || code === null ? { type: type as number } : { type: type as number, code: code as number };
  }

  nets(field: string, value: unknown): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return this.fail(field) ?? [];
    const out: string[] = [];
    for (const text of value) {
      const net = typeof text === 'string' ? parseNetwork(text) : undefined;
      if (net === undefined) return this.fail(field) ?? [];
      out.push(net.text);
    }
    return out;
  }

  /** Numeric ranges and port names; numeric ports need a protocol that has ports. */
  ports(field: string, value: unknown, protocol: number | undefined): { ranges: PortRange[]; names: string[] } {
    const none = { ranges: [], names: [] };
    if (value === undefined || value === null) return none;
    if (!Array.isArray(value)) return this.fail(field) ?? none;
    const ranges: PortRange[] = [];
    const names: string[] = [];
    for (const p of value) {
      let port;
      try {
        port = parsePort(p);
      } catch {
        return this.fail(field) ?? none;
      }
      if (isNamedPort(port)) names.push(port.portName);
      else ranges.push({ first: port.minPort, last: port.maxPort });
    }
    if (ranges.length > 0 && (protocol === undefined || !PORT_PROTOCOLS.has(protocol))) return this.fail(field) ?? none;
    return { ranges, names };
  }

  side(name: string, value: unknown, namespace: string, protocol: number | undefined): { side: ParsedSide; services: boolean } {
    if (value === undefined || value === null) return { side: EMPTY_SIDE, services: false };
    if (typeof value !== 'object' || Array.isArray(value)) return { side: this.fail(name) ?? EMPTY_SIDE, services: false };
    const v = value as Record<string, unknown>;
    const selectors = ruleSideSelectors(v, namespace);
    for (const field of selectors.unreadable) this.unreadable.push(`${name}.${field}`);
    const ports = this.ports(`${name}.ports`, v.ports, protocol);
    const notPorts = this.ports(`${name}.notPorts`, v.notPorts, protocol);
    const side: ParsedSide = {
      nets: this.nets(`${name}.nets`, v.nets),
      notNets: this.nets(`${name}.notNets`, v.notNets),
      ports: ports.ranges,
      namedPorts: ports.names,
      notPorts: notPorts.ranges,
      notNamedPorts: notPorts.names,
      selector: selectors.positive,
      notSelector: selectors.negative,
    };
    return { side, services: v.services !== undefined && v.services !== null };
  }
}

// Felix's ProtocolFrom: a named port follows the rule's protocol, TCP for anything unusual.
function namedPortProtocol(protocol: number | undefined): ParsedRule['namedPortProtocol'] {
  if (protocol === undefined) return 'any';
  return protocol === 17 ? 'udp' : protocol === 132 ? 'sctp' : 'tcp';
}

const ACTIONS: Readonly<Record<string, Rule['action']>> = { Allow: 'allow', Deny: 'deny', Pass: 'pass', Log: 'log' };

function neverMatching(action: Rule['action']): ParsedRule {
  return {
    action, neverMatches: true, ipVersion: undefined, protocol: undefined, notProtocol: undefined,
    namedPortProtocol: 'any', icmp: undefined, notICMP: undefined, source: EMPTY_SIDE, destination: EMPTY_SIDE,
  };
}

/** Reads one stored rule of a policy in `namespace` ('' for global policies and profiles). Never throws. */
export function parseRule(raw: unknown, namespace: string): ParsedRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ...neverMatching('deny'), neverMatches: false };
  const r = raw as Record<string, unknown>;
  const reader = new Reader();
  const known = typeof r.action === 'string' ? ACTIONS[r.action] : undefined;
  const rawIpVersion = r.ipVersion;
  const ipVersion = rawIpVersion === undefined || rawIpVersion === null ? undefined
    : rawIpVersion === 4 || rawIpVersion === 6 ? rawIpVersion : reader.fail('ipVersion');
  const protocol = reader.protocol('protocol', r.protocol);
  const notProtocol = reader.protocol('notProtocol', r.notProtocol);
  let icmp = reader.icmp('icmp', r.icmp);
  const notICMP = reader.icmp('notICMP', r.notICMP);
  if (icmp !== undefined && protocol !== 1 && protocol !== 58) icmp = reader.fail('icmp');
  const source = reader.side('source', r.source, namespace, protocol);
  const destination = reader.side('destination', r.destination, namespace, protocol);
  if (source.services || destination.services) return neverMatching(known ?? 'deny');

  const clean = known !== undefined && reader.unreadable.length === 0;
  if (!clean && (known === 'allow' || known === 'log')) return neverMatching(known);
  return {
    // Unreadable fields (already left out above) turn a Pass or unknown action into a Deny.
    action: clean ? known : 'deny',
    neverMatches: false,
    // Felix infers the IP version from an ICMP protocol.
    ipVersion: ipVersion ?? (protocol === 1 ? 4 : protocol === 58 ? 6 : undefined),
    protocol,
    notProtocol,
    namedPortProtocol: namedPortProtocol(protocol),
    icmp,
    notICMP,
    source: source.side,
    destination: destination.side,
  };
}

/** Reads a list of stored rules; a list that is not an array reads as one rule that denies everything. */
export function parseRules(raw: unknown, namespace: string): ParsedRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return [parseRule(undefined, namespace)];
  return raw.map((r) => parseRule(r, namespace));
}
