/**
 * Turns local workload endpoints into kernel objects: the `tw-`/`fw-` chains, the dispatch map
 * elements that send the interface's traffic to them, the anti-spoofing elements
 * (`iface . address` for the endpoint's addresses, floating IPs and, with
 * WorkloadSourceSpoofing=Any, its allowed spoofed prefixes) and the floating-IP NAT map
 * elements. When two endpoints claim one interface, the one with the lower key wins and the
 * other is shadowed until it goes (agent-dataplane.md §5.4).
 * @module
 */
import { parseCidr, type Cidr } from '../drivers/nftables/cidr.ts';
import { addressValue, concatElement, ifnameElement } from '../drivers/nftables/elements.ts';
import type { NftTable } from '../drivers/nftables/nft-table.ts';
import { endpointKey, policyKey, type DataplaneMessage, type EndpointID, type LocalEndpoint, type NATMapping } from '../messages.ts';
import { renderEndpointChains, type ChainLookup } from './endpoint-chains.ts';
import { SILENT_LOG, type Manager, type ManagerLog } from './manager.ts';
import type { MarkBits } from './marks.ts';
import { SetNames } from './names.ts';
import { CoverDelta, NetCover } from './net-cover.ts';
import type { DataplaneOptions } from './options.ts';
import { familiesOf } from './static-chains.ts';

/** The dataplane's view of one endpoint after an apply. */
export type EndpointProgramState =
  | { state: 'programmed' }
  | { state: 'pending' }
  | { state: 'failed'; reason: string };

interface Programmed {
  readonly iface: string;
  readonly toChain: string;
  readonly fromChain: string;
  readonly sources: ReadonlyMap<4 | 6, readonly Cidr[]>;
  readonly nat: ReadonlyMap<4 | 6, readonly NATMapping[]>;
  /** Every element the endpoint needs in the kernel, as [set, key]: its status checks these. */
  readonly elements: readonly (readonly [string, string])[];
}

/** A Linux interface name nft can quote: 1–15 bytes, no quotes, backslashes, slashes or whitespace. */
const IFACE = /^[^\s"\\/]{1,15}$/;

/** Claims on one key (a floating IP, an internal address) by endpoints; the lowest key wins. */
class Claims {
  readonly #byKey = new Map<string, Map<string, string>>();

  set(key: string, owner: string, value: string): void {
    let m = this.#byKey.get(key);
    if (!m) this.#byKey.set(key, (m = new Map()));
    const had = m.get(owner);
    if (had === undefined || value < had) m.set(owner, value);
  }

  delete(key: string, owner: string): void {
    const m = this.#byKey.get(key);
    if (m?.delete(owner) && m.size === 0) this.#byKey.delete(key);
  }

  /** The winning value for `key`: the lowest owner's, ties by value. */
  winner(key: string): string | undefined {
    const m = this.#byKey.get(key);
    if (!m) return undefined;
    let best: [string, string] | undefined;
    for (const e of m) if (!best || e[0] < best[0] || (e[0] === best[0] && e[1] < best[1])) best = e;
    return best?.[1];
  }
}

/** Programs local workload endpoints. */
export class EndpointManager implements Manager {
  readonly #table: NftTable;
  readonly #options: DataplaneOptions;
  readonly #marks: MarkBits;
  readonly #lookup: ChainLookup;
  readonly #log: ManagerLog;
  readonly #families: readonly (4 | 6)[];
  readonly #endpoints = new Map<string, { id: EndpointID; ep: LocalEndpoint }>();
  readonly #dirty = new Set<string>();
  readonly #claims = new Map<string, Set<string>>();
  readonly #claimOf = new Map<string, string>();
  readonly #active = new Map<string, string>();
  readonly #programmed = new Map<string, Programmed>();
  readonly #sources = new Map<string, NetCover>();
  readonly #dnat = new Map<4 | 6, Claims>();
  readonly #snat = new Map<4 | 6, Claims>();
  /** `policy:<key>` / `profile:<id>` → endpoints whose chains mention it. */
  readonly #refs = new Map<string, Set<string>>();
  readonly #refsOf = new Map<string, readonly string[]>();
  /** Endpoints whose state may have changed since `takeTouched()` was last called. */
  readonly #touched = new Set<string>();

  constructor(table: NftTable, options: DataplaneOptions, marks: MarkBits, lookup: ChainLookup, log: ManagerLog = SILENT_LOG) {
    this.#table = table;
    this.#options = options;
    this.#marks = marks;
    this.#lookup = lookup;
    this.#log = log;
    this.#families = familiesOf(options);
    for (const f of this.#families) {
      this.#dnat.set(f, new Claims());
      this.#snat.set(f, new Claims());
    }
  }

  onUpdate(msg: DataplaneMessage): void {
    if (msg.type === 'endpoint-update') {
      const key = endpointKey(msg.id);
      this.#endpoints.set(key, { id: msg.id, ep: msg.endpoint });
      this.#dirty.add(key);
    } else if (msg.type === 'endpoint-remove') {
      const key = endpointKey(msg.id);
      if (this.#endpoints.delete(key)) this.#dirty.add(key);
    }
  }

  /** Re-renders endpoints that refer to policies or profiles whose chains appeared or went. */
  onReferencesChanged(refs: Iterable<string>): void {
    for (const ref of refs) for (const key of this.#refs.get(ref) ?? []) this.#dirty.add(key);
  }

  completeDeferredWork(): void {
    if (this.#dirty.size === 0) return;
    const ifaces = new Set<string>();
    for (const key of this.#dirty) {
      const old = this.#programmed.get(key)?.iface;
      if (old !== undefined) ifaces.add(old);
      const claimed = this.#claimOf.get(key);
      if (claimed !== undefined) {
        const owners = this.#claims.get(claimed)!;
        owners.delete(key);
        if (owners.size === 0) this.#claims.delete(claimed);
        this.#claimOf.delete(key);
        ifaces.add(claimed);
      }
      const now = this.#endpoints.get(key);
      if (now) {
        const iface = now.ep.interfaceName;
        let owners = this.#claims.get(iface);
        if (!owners) this.#claims.set(iface, (owners = new Set()));
        owners.add(key);
        this.#claimOf.set(key, iface);
        ifaces.add(iface);
      }
    }
    const natTouched = new Map<4 | 6, Set<string>>();
    for (const f of this.#families) natTouched.set(f, new Set());
    for (const iface of ifaces) {
      const owners = this.#claims.get(iface);
      const winner = owners ? [...owners].sort()[0] : undefined;
      const current = this.#active.get(iface);
      if (current !== undefined && (current !== winner || this.#dirty.has(current))) {
        this.#withdraw(current, natTouched);
        this.#active.delete(iface);
      }
      if (winner !== undefined && (current !== winner || this.#dirty.has(winner) || !this.#programmed.has(winner))) {
        if (this.#program(winner, natTouched)) this.#active.set(iface, winner);
      }
    }
    for (const [f, touched] of natTouched) this.#syncNat(f, touched);
    for (const key of this.#dirty) this.#touched.add(key);
    for (const iface of ifaces) for (const key of this.#claims.get(iface) ?? []) this.#touched.add(key);
    this.#dirty.clear();
  }

  /** Returns and forgets the keys of endpoints touched by `completeDeferredWork` since the last call. */
  takeTouched(): Set<string> {
    const out = new Set(this.#touched);
    this.#touched.clear();
    return out;
  }

  /** The program state of an endpoint as of the last apply (needs the driver's view). */
  status(id: EndpointID): EndpointProgramState | undefined {
    const key = endpointKey(id);
    const e = this.#endpoints.get(key);
    if (!e) return undefined;
    const iface = e.ep.interfaceName;
    if (!IFACE.test(iface)) return { state: 'failed', reason: `interface name ${JSON.stringify(iface)} is not valid` };
    const active = this.#active.get(iface);
    if (active !== key) return { state: 'failed', reason: `interface ${iface} belongs to endpoint ${active ?? '(none)'}` };
    const p = this.#programmed.get(key)!;
    const t = this.#table;
    const quarantine = t.quarantinedChains.get(p.toChain) ?? t.quarantinedChains.get(p.fromChain);
    if (quarantine !== undefined) return { state: 'failed', reason: quarantine };
    const ok = t.isChainProgrammed(p.toChain) && t.isChainProgrammed(p.fromChain) && p.elements.every(([set, key]) => t.isElementProgrammed(set, key));
    return ok ? { state: 'programmed' } : { state: 'pending' };
  }

  /** IDs of all known endpoints. */
  endpointIds(): EndpointID[] {
    return [...this.#endpoints.values()].map((e) => e.id);
  }

  /** The ID of a known endpoint key. */
  idOf(key: string): EndpointID | undefined {
    return this.#endpoints.get(key)?.id;
  }

  #program(key: string, natTouched: Map<4 | 6, Set<string>>): boolean {
    const { ep } = this.#endpoints.get(key)!;
    const iface = ep.interfaceName;
    if (!IFACE.test(iface)) {
      this.#log.error('Endpoint has an interface name nft cannot use; not programmed', { endpoint: key, iface });
      return false;
    }
    const { to, from } = renderEndpointChains(ep, this.#options, this.#marks, this.#lookup);
    this.#table.setChain(to);
    this.#table.setChain(from);
    const ifEl = ifnameElement(iface);
    this.#table.setMapElement(SetNames.toWlMap, ifEl, `goto ${to.name}`);
    this.#table.setMapElement(SetNames.fromWlMap, ifEl, `goto ${from.name}`);

    const sources = new Map<4 | 6, Cidr[]>();
    const nat = new Map<4 | 6, NATMapping[]>();
    for (const f of this.#families) {
      const nets = f === 4 ? ep.ipv4Nets : ep.ipv6Nets;
      const maps = (f === 4 ? ep.ipv4NAT : ep.ipv6NAT).filter((m) => addressValue(f, m.externalIP) && addressValue(f, m.internalIP));
      const spoof = this.#options.workloadSourceSpoofing === 'Any' ? ep.allowSpoofedSourcePrefixes : [];
      const list: Cidr[] = [];
      for (const text of [...nets, ...maps.map((m) => m.externalIP), ...spoof]) {
        const c = parseCidr(text);
        if (c?.family === f) list.push(c);
      }
      sources.set(f, list);
      nat.set(f, maps);
      const cover = this.#cover(f, iface);
      const delta = new CoverDelta();
      for (const c of list) cover.add(c, delta);
      this.#applySources(f, iface, delta);
      const touched = natTouched.get(f)!;
      for (const m of maps) {
        const ext = addressValue(f, m.externalIP)!;
        const int = addressValue(f, m.internalIP)!;
        this.#dnat.get(f)!.set(ext, key, int);
        this.#snat.get(f)!.set(int, key, ext);
        touched.add(`d|${ext}`).add(`s|${int}`);
      }
    }
    const refs: string[] = [];
    for (const tier of ep.tiers) for (const p of [...tier.ingressPolicies, ...tier.egressPolicies]) refs.push(`policy:${policyKey(p)}`);
    for (const p of ep.profileIds) refs.push(`profile:${p}`);
    this.#setRefs(key, refs);
    const elements: [string, string][] = [[SetNames.toWlMap, ifEl], [SetNames.fromWlMap, ifEl]];
    for (const f of this.#families) {
      for (const el of this.#sources.get(`${f}|${iface}`)?.elements ?? []) elements.push([this.#sourceSet(f, el), concatElement(ifEl, el)]);
    }
    this.#programmed.set(key, { iface, toChain: to.name, fromChain: from.name, sources, nat, elements });
    return true;
  }

  #withdraw(key: string, natTouched: Map<4 | 6, Set<string>>): void {
    const p = this.#programmed.get(key);
    if (!p) return;
    this.#programmed.delete(key);
    this.#setRefs(key, []);
    this.#table.deleteChain(p.toChain);
    this.#table.deleteChain(p.fromChain);
    const ifEl = ifnameElement(p.iface);
    this.#table.removeElements(SetNames.toWlMap, [ifEl]);
    this.#table.removeElements(SetNames.fromWlMap, [ifEl]);
    for (const [f, list] of p.sources) {
      const cover = this.#cover(f, p.iface);
      const delta = new CoverDelta();
      for (const s of list) cover.remove(s, delta);
      this.#applySources(f, p.iface, delta);
      if (cover.size === 0) this.#sources.delete(`${f}|${p.iface}`);
    }
    for (const [f, maps] of p.nat) {
      const touched = natTouched.get(f)!;
      for (const m of maps) {
        const ext = addressValue(f, m.externalIP)!;
        const int = addressValue(f, m.internalIP)!;
        this.#dnat.get(f)!.delete(ext, key);
        this.#snat.get(f)!.delete(int, key);
        touched.add(`d|${ext}`).add(`s|${int}`);
      }
    }
  }

  #cover(f: 4 | 6, iface: string): NetCover {
    const k = `${f}|${iface}`;
    let c = this.#sources.get(k);
    if (!c) this.#sources.set(k, (c = new NetCover()));
    return c;
  }

  /** Single addresses go to the hash set `wl-srcX`, prefixes to the interval set `wl-netX`. */
  #sourceSet(f: 4 | 6, element: string): string {
    return element.includes('/') ? SetNames.workloadNets(f) : SetNames.workloadSources(f);
  }

  #applySources(f: 4 | 6, iface: string, delta: CoverDelta): void {
    const ifEl = ifnameElement(iface);
    for (const e of delta.removed) this.#table.removeElements(this.#sourceSet(f, e), [concatElement(ifEl, e)]);
    for (const e of delta.added) this.#table.addElements(this.#sourceSet(f, e), [concatElement(ifEl, e)]);
  }

  /** Re-derives the floating-IP map elements whose claims changed. */
  #syncNat(f: 4 | 6, touched: ReadonlySet<string>): void {
    for (const t of touched) {
      const [kind, addr] = t.split('|') as ['d' | 's', string];
      if (kind === 'd') {
        const int = this.#dnat.get(f)!.winner(addr);
        if (int === undefined) this.#table.removeElements(SetNames.fipDnat(f), [addr]);
        else this.#table.setMapElement(SetNames.fipDnat(f), addr, int);
      } else {
        const key = concatElement(addr, addr);
        const ext = this.#snat.get(f)!.winner(addr);
        if (ext === undefined) this.#table.removeElements(SetNames.fipSnat(f), [key]);
        else this.#table.setMapElement(SetNames.fipSnat(f), key, ext);
      }
    }
  }

  #setRefs(key: string, refs: readonly string[]): void {
    for (const r of this.#refsOf.get(key) ?? []) {
      const s = this.#refs.get(r);
      if (s?.delete(key) && s.size === 0) this.#refs.delete(r);
    }
    if (refs.length === 0) {
      this.#refsOf.delete(key);
      return;
    }
    this.#refsOf.set(key, refs);
    for (const r of refs) {
      let s = this.#refs.get(r);
      if (!s) this.#refs.set(r, (s = new Set()));
      s.add(key);
    }
  }
}

