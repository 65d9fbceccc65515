/**
 * Equality of what the controller would write and what the datastore holds, for the resync's
 * "correct or not" decision. The store encodes resources as Calico's Go code does, which drops
 * empty lists, maps and strings (`omitempty`), so a desired `egress: []` is stored as nothing:
 * those count as equal here, or every steady resync would rewrite them.
 * @module
 */

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/**
 * True when `a` and `b` hold the same JSON data, member order aside, with absent, null,
 * `""`, `[]` and `{}` treated alike. Array order matters (rules, IPs and NATs are ordered).
 */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isEmpty(a) && isEmpty(b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContent(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k in ao) if (!sameContent(ao[k], bo[k])) return false;
  for (const k in bo) if (!(k in ao) && !isEmpty(bo[k])) return false;
  return true;
}
