/**
 * The resource codec: how a resource is written as JSON for storage and output. Go's encoder
 * writes struct members in declaration order, drops empty `omitempty` members, sorts map keys
 * and escapes `<`, `>` and `&`; Percale writes the same bytes so Calico and Percale read each
 * other's data. The member order comes from each kind's schema.
 * @module
 */
import { encodeKind } from '../schema/kind.ts';
import { ObjectMeta as ObjectMetaType } from '../schema/object-meta.ts';
import { kindSchema } from './registry.ts';
import type { ObjectMeta, Resource } from './types.ts';

/** Metadata in Go member order, empty members dropped, label/annotation keys sorted. */
export function orderedMetadata(meta: ObjectMeta): ObjectMeta {
  return ObjectMetaType.encode(meta as never) as ObjectMeta;
}

/**
 * The resource as Go would serialise it: `kind`, `apiVersion`, `metadata`, `spec` (members in
 * the kind's Go order), `status`. Members the schema does not know (kept by a tolerant decode)
 * follow the known ones of their object, unchanged. Kinds without a schema keep their spec as given.
 */
export function orderedResource(res: Resource): Resource {
  return encodeKind(kindSchema(res.kind), res) as unknown as Resource;
}

// encoding/json's HTML-safe escaping, applied to the text JSON.stringify produces.
const GO_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

// JSON.stringify writes a lone surrogate as a `\udXXX` escape; Go writes U+FFFD instead. The
// lookbehind skips `\\udXXX`, an escaped backslash followed by ordinary text.
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/** JSON text exactly as Go's `json.Marshal` writes this value (keys in the value's order). */
export function goJSON(value: unknown): string {
  let text = JSON.stringify(value);
  if (text.includes('\\ud')) text = text.replace(LONE_SURROGATE_ESCAPE, '$1\\ufffd');
  // These characters only occur inside strings, so a textual replacement is safe.
  return text.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
}

/** Compact JSON in Go's member order: the exact bytes Percale stores in etcd. */
export function encodeResource(res: Resource): string {
  return goJSON(orderedResource(res));
}
