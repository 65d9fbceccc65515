/**
 * Calico's content-derived IDs (`hash.MakeUniqueID` in libcalico-go): "<prefix>:" followed by
 * the unpadded base64url SHA-224 of "<prefix>:<content>". Selectors use prefix "s"; the agent
 * names IP sets after these IDs, so they must equal Calico's exactly.
 * @module
 */
import { sha224 } from '@noble/hashes/sha2.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const encoder = new TextEncoder();

function base64UrlNoPadding(bytes: Uint8Array): string {
  const char = (sextet: number) => ALPHABET.charAt(sextet & 63);
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += char(n >>> 18) + char(n >>> 12) + char(n >>> 6) + char(n);
  }
  if (i < bytes.length) {
    const two = i + 1 < bytes.length;
    const n = (bytes[i]! << 16) | (two ? bytes[i + 1]! << 8 : 0);
    out += char(n >>> 18) + char(n >>> 12) + (two ? char(n >>> 6) : '');
  }
  return out;
}

/**
 * Returns `prefix + ":" + base64url_nopad(SHA-224(prefix + ":" + content))`, content encoded as UTF-8.
 * @example makeUniqueId('s', 'all()') // 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'
 */
export function makeUniqueId(prefix: string, content: string): string {
  return `${prefix}:${base64UrlNoPadding(sha224(encoder.encode(`${prefix}:${content}`)))}`;
}
