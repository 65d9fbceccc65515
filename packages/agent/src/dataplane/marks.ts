/**
 * Packet-mark bits of the dataplane (agent-dataplane.md §5.2), allocated from the configured
 * mask lowest bit first, so with the default mask `accept` and `pass` are Calico's 0x10000 and
 * 0x20000. Also renders the nft mark matches and statements the chains use.
 * @module
 */

/** The three bits the rules use. */
export interface MarkBits {
  /** A policy or profile allowed the packet. */
  readonly accept: number;
  /** A policy said Pass: skip the rest of the tier. */
  readonly pass: number;
  /** Scratch bit: one `log` rule split into several matches logs once. */
  readonly scratch: number;
  /** All three. */
  readonly all: number;
}

/** Allocates accept, pass and scratch from `mask`, lowest bits first. */
export function allocateMarks(mask: number): MarkBits {
  const bits: number[] = [];
  for (let b = 0; b < 32 && bits.length < 3; b++) {
    const bit = (2 ** b) >>> 0;
    if (((mask >>> 0) & bit) !== 0) bits.push(bit);
  }
  if (bits.length < 3) throw new RangeError(`Mark mask 0x${(mask >>> 0).toString(16)} has fewer than 3 bits`);
  const [accept, pass, scratch] = bits as [number, number, number];
  return { accept, pass, scratch, all: (accept | pass | scratch) >>> 0 };
}

/** `0x00010000`-style hex, as nft lists marks. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** Match: all bits of `bit` set. */
export function markSet(bit: number): string {
  return `meta mark & ${hex(bit)} == ${hex(bit)}`;
}

/** Match: all bits of `bit` clear. */
export function markClear(bit: number): string {
  return `meta mark & ${hex(bit)} == ${hex(0)}`;
}

/** Statement: set `bit`. */
export function setMark(bit: number): string {
  return `meta mark set meta mark | ${hex(bit)}`;
}

/** Statement: clear `bits`. */
export function clearMark(bits: number): string {
  return `meta mark set meta mark & ${hex(~bits >>> 0)}`;
}
