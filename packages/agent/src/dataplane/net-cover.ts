/**
 * The maximal cover of a set of networks: the elements an nftables interval set can hold for
 * them. nft rejects overlapping intervals (`interval overlaps with an existing one`), while
 * Calico's IP sets may hold both `10.0.0.0/8` and `10.1.2.3/32`; programming only the networks
 * no other member contains matches the same addresses. Updates return the element delta.
 * @module
 */
import { cidrContains, formatCidr, parseCidr, supernet, type Cidr } from '../drivers/nftables/cidr.ts';

/**
 * The net change in programmed elements over a sequence of updates: an element added and then
 * removed (or the reverse) cancels out, so `added` and `removed` are disjoint and can be applied
 * in either order.
 */
export class CoverDelta {
  readonly added = new Set<string>();
  readonly removed = new Set<string>();

  add(element: string): void {
    if (!this.removed.delete(element)) this.added.add(element);
  }

  remove(element: string): void {
    if (!this.added.delete(element)) this.removed.add(element);
  }

  get empty(): boolean {
    return this.added.size === 0 && this.removed.size === 0;
  }
}

/** Members of one interval set (one family), with the programmed maximal cover. */
export class NetCover {
  readonly #members = new Map<string, Cidr>();
  readonly #programmed = new Set<string>();
  /** Prefix lengths present among the members, with counts: containment checks only look there. */
  readonly #lengths = new Map<number, number>();

  /** Current programmed elements (canonical texts). */
  get elements(): ReadonlySet<string> {
    return this.#programmed;
  }

  /** Number of distinct members (not elements). */
  get size(): number {
    return this.#members.size;
  }

  /** The members' canonical texts. */
  memberTexts(): IterableIterator<string> {
    return this.#members.keys();
  }

  /** True when `text` is a member (canonicalised first). */
  has(text: string): boolean {
    const c = parseCidr(text);
    return c !== undefined && this.#members.has(formatCidr(c));
  }

  #coveredByOther(c: Cidr, exclude?: string): boolean {
    for (const len of this.#lengths.keys()) {
      if (len >= c.len) continue;
      const key = formatCidr(supernet(c, len));
      if (key !== exclude && this.#members.has(key)) return true;
    }
    return false;
  }

  /** Adds a member (CIDR or address text, or parsed); unparsable text is ignored (the caller reports it). */
  add(member: string | Cidr, delta: CoverDelta = new CoverDelta()): CoverDelta {
    const c = typeof member === 'string' ? parseCidr(member) : member;
    if (!c) return delta;
    const key = formatCidr(c);
    if (this.#members.has(key)) return delta;
    this.#members.set(key, c);
    this.#lengths.set(c.len, (this.#lengths.get(c.len) ?? 0) + 1);
    if (this.#coveredByOther(c)) return delta;
    // Elements inside the new network are now redundant.
    if (this.#lengths.size > 1) {
      for (const el of [...this.#programmed]) {
        const m = this.#members.get(el)!;
        if (m.len > c.len && cidrContains(c, m)) {
          this.#programmed.delete(el);
          delta.remove(el);
        }
      }
    }
    this.#programmed.add(key);
    delta.add(key);
    return delta;
  }

  /** Removes a member; networks it covered become elements again unless something else covers them. */
  remove(member: string | Cidr, delta: CoverDelta = new CoverDelta()): CoverDelta {
    const c = typeof member === 'string' ? parseCidr(member) : member;
    if (!c) return delta;
    const key = formatCidr(c);
    if (!this.#members.delete(key)) return delta;
    const n = (this.#lengths.get(c.len) ?? 1) - 1;
    if (n === 0) this.#lengths.delete(c.len);
    else this.#lengths.set(c.len, n);
    if (!this.#programmed.delete(key)) return delta;
    delta.remove(key);
    if (c.len < (c.family === 4 ? 32 : 128) && this.#lengths.size > 0) {
      const inside = [...this.#members.entries()].filter(([, m]) => m.len > c.len && cidrContains(c, m)).sort((a, b) => a[1].len - b[1].len);
      for (const [k, m] of inside) {
        if (this.#programmed.has(k) || this.#coveredByOther(m)) continue;
        this.#programmed.add(k);
        delta.add(k);
      }
    }
    return delta;
  }
}
