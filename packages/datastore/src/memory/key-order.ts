/**
 * Key ordering for MemoryStore: etcd orders keys by their UTF-8 bytes, which differs from
 * JavaScript's UTF-16 string order only where a surrogate pair meets U+E000–U+FFFF.
 * @module
 */

/** Compares two keys as etcd does (UTF-8 byte order); negative, zero or positive. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF, whose UTF-8 form sorts
    // after every BMP character; lift them above U+E000–U+FFFF before comparing.
    if (x >= 0xd800 && y >= 0xd800) return fixup(x) - fixup(y);
    return x - y;
  }
  return a.length - b.length;
}

function fixup(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}
