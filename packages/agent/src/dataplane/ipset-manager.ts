/**
 * Turns the calculation graph's IP sets into named nft sets, one per family: `net` sets hold
 * the maximal cover of their CIDRs (nft rejects overlapping intervals) — as plain address sets
 * while every member is a single address, as interval sets from the first real CIDR on (nft
 * 1.0.6 fetches the elements of every interval set for any element command, which makes single
 * changes slow at scale); `ip-and-port` sets are `addr . inet_proto . inet_service`
 * concatenations. Membership changes become element adds and deletes, never set rewrites.
 * @module
 */
import { canonicalHost, canonicalNet, parseCidr, type Cidr } from '../drivers/nftables/cidr.ts';
import { ipPortElement } from '../drivers/nftables/elements.ts';
import type { NftTable } from '../drivers/nftables/nft-table.ts';
import type { DataplaneMessage, IPSetType } from '../messages.ts';
import { SILENT_LOG, type Manager, type ManagerLog } from './manager.ts';
import { CoverDelta, NetCover } from './net-cover.ts';
import { SetNames } from './names.ts';

type Op =
  | { type: 'update'; id: string; setType: IPSetType; members: readonly string[] }
  | { type: 'delta'; id: string; added: readonly string[]; removed: readonly string[] }
  | { type: 'remove'; id: string };

/** Members of one IP set in one family: the cover (`net`) or the element texts (`ip-and-port`). */
interface FamilyMembers {
  /**
   * `net` sets start with `plain` (canonical addresses, no big-integer parsing) and switch to a
   * `cover` — and an interval set in the kernel — at their first real CIDR, for good.
   */
  cover?: NetCover | undefined;
  plain?: Set<string> | undefined;
}

interface IPSetState {
  readonly setType: IPSetType;
  readonly families: Map<4 | 6, FamilyMembers>;
}

/** Keeps one nft set per IP set ID and family. */
export class IPSetManager implements Manager {
  readonly #table: NftTable;
  readonly #families: readonly (4 | 6)[];
  readonly #log: ManagerLog;
  readonly #ops: Op[] = [];
  readonly #sets = new Map<string, IPSetState>();
  #invalidMembers = 0;

  constructor(table: NftTable, families: readonly (4 | 6)[], log: ManagerLog = SILENT_LOG) {
    this.#table = table;
    this.#families = families;
    this.#log = log;
  }

  onUpdate(msg: DataplaneMessage): void {
    switch (msg.type) {
      case 'ipset-update':
        this.#ops.push({ type: 'update', id: msg.id, setType: msg.setType, members: msg.members });
        break;
      case 'ipset-delta':
        this.#ops.push({ type: 'delta', id: msg.id, added: msg.added, removed: msg.removed });
        break;
      case 'ipset-remove':
        this.#ops.push({ type: 'remove', id: msg.id });
        break;
      default:
    }
  }

  /** Members that could not be parsed and were left out (each is logged). */
  get invalidMembers(): number {
    return this.#invalidMembers;
  }

  completeDeferredWork(): void {
    for (const op of this.#ops) {
      if (op.type === 'update') this.#update(op.id, op.setType, op.members);
      else if (op.type === 'delta') this.#delta(op.id, op.added, op.removed);
      else this.#remove(op.id);
    }
    this.#ops.length = 0;
  }

  #create(id: string, setType: IPSetType): IPSetState {
    const state: IPSetState = { setType, families: new Map() };
    for (const f of this.#families) {
      const addr = f === 4 ? 'ipv4_addr' : 'ipv6_addr';
      const name = SetNames.ipSet(id, f);
      if (setType === 'net') {
        this.#table.setSet({ name, type: [addr] });
        state.families.set(f, { plain: new Set() });
      } else {
        this.#table.setSet({ name, type: [addr, 'inet_proto', 'inet_service'] });
        state.families.set(f, { plain: new Set() });
      }
    }
    this.#sets.set(id, state);
    return state;
  }

  #update(id: string, setType: IPSetType, members: readonly string[]): void {
    let state = this.#sets.get(id);
    if (state && state.setType !== setType) {
      this.#remove(id);
      state = undefined;
    }
    state ??= this.#create(id, setType);
    // Replace the membership: drop what is no longer listed; the driver nets out re-adds.
    const stale: string[] = [];
    const current = [...state.families.values()].reduce((n, fm) => n + (fm.cover?.size ?? fm.plain?.size ?? 0), 0);
    if (current > 0) {
      const keep = new Set(members.map((m) => this.#key(setType, m)));
      for (const fm of state.families.values()) {
        for (const k of fm.cover?.memberTexts() ?? fm.plain ?? []) if (!keep.has(k)) stale.push(k);
      }
    }
    this.#apply(id, state, members, stale);
  }

  #delta(id: string, added: readonly string[], removed: readonly string[]): void {
    const state = this.#sets.get(id);
    if (!state) {
      this.#log.warn('Delta for an unknown IP set ignored', { id, added: added.length, removed: removed.length });
      return;
    }
    this.#apply(id, state, added, removed);
  }

  #remove(id: string): void {
    if (!this.#sets.delete(id)) return;
    for (const f of this.#families) this.#table.deleteSet(SetNames.ipSet(id, f));
  }

  /** The canonical identity of a member: cover key for nets, element text for ip-and-port. */
  #key(setType: IPSetType, member: string): string {
    return (setType === 'net' ? canonicalHost(member)?.text ?? canonicalNet(member) : ipPortElement(member)?.text) ?? member;
  }

  #apply(id: string, state: IPSetState, added: readonly string[], removed: readonly string[]): void {
    const deltas = new Map<4 | 6, CoverDelta>();
    for (const f of state.families.keys()) deltas.set(f, new CoverDelta());
    const net = state.setType === 'net';
    // A member as [family, element text or parsed CIDR]: addresses stay text (the fast path).
    const locate = (member: string): [4 | 6, string | Cidr] | undefined => {
      if (!net) {
        const el = ipPortElement(member);
        return el ? [el.family, el.text] : undefined;
      }
      const host = canonicalHost(member);
      if (host) return [host.family, host.text];
      const c = parseCidr(member);
      return c ? [c.family, c] : undefined;
    };
    for (const m of removed) {
      const at = locate(m);
      const fm = at && state.families.get(at[0]);
      if (!at || !fm) continue;
      const d = deltas.get(at[0])!;
      if (fm.cover) fm.cover.remove(at[1], d);
      else if (typeof at[1] === 'string' && fm.plain!.delete(at[1])) d.remove(at[1]);
    }
    for (const m of added) {
      const at = locate(m);
      if (!at) {
        this.#invalidMembers++;
        this.#log.warn('IP set member cannot be parsed; left out', { id, member: m });
        continue;
      }
      const [f, member] = at;
      const fm = state.families.get(f);
      if (!fm) continue; // an IPv6 member while IPv6 is disabled
      const d = deltas.get(f)!;
      if (!fm.cover && typeof member !== 'string') {
        // The first real CIDR: from now on a cover, and an interval set (the driver re-declares
        // the set and rewrites the chains using it in one transaction).
        const cover = new NetCover();
        for (const h of fm.plain!) cover.add(h);
        fm.cover = cover;
        fm.plain = undefined;
        this.#table.setSet({ name: SetNames.ipSet(id, f), type: [f === 4 ? 'ipv4_addr' : 'ipv6_addr'], interval: true });
      }
      if (fm.cover) fm.cover.add(member, d);
      else if (!fm.plain!.has(member as string)) {
        fm.plain!.add(member as string);
        d.add(member as string);
      }
    }
    for (const [f, d] of deltas) {
      const name = SetNames.ipSet(id, f);
      if (d.removed.size > 0) this.#table.removeElements(name, d.removed);
      if (d.added.size > 0) this.#table.addElements(name, d.added);
    }
  }
}
