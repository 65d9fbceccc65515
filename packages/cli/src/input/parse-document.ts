/**
 * Turns the text of one input document into a JSON value, as calicoctl's
 * YAML-to-JSON step does: YAML 1.1 scalars (go-yaml v2 rules), JSON accepted as
 * YAML, duplicate keys refused. JSON and the common block-YAML subset take fast
 * paths; everything else goes through the `yaml` package, which also words the
 * syntax errors.
 * @module
 */
import type * as YamlPackage from 'yaml';
import { UNSUPPORTED, parseFastYaml, setKey } from './fast-yaml.ts';
import { mapKeyString, plainScalarValue } from './yaml-scalar.ts';

/** A document that is not valid YAML/JSON. `line` is relative to the document's first line. */
export class YamlSyntaxError extends Error {
  readonly code = 'CLI_YAML_SYNTAX';
  readonly line: number | undefined;
  readonly reason: string;
  constructor(reason: string, line?: number) {
    super(line === undefined ? `yaml: ${reason}` : `yaml: line ${line}: ${reason}`);
    this.name = 'YamlSyntaxError';
    this.reason = reason;
    this.line = line;
  }
}

// JSON.parse keeps the last of duplicate keys silently; calicoctl's strict decoding refuses them.
function findDuplicateJsonKey(text: string): { key: string; line: number } | undefined {
  const stack: (Set<string> | null)[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 123) stack.push(new Set()); // {
    else if (c === 91) stack.push(null); // [
    else if (c === 125 || c === 93) stack.pop(); // } ]
    else if (c === 34) {
      // "
      let j = i + 1;
      let escaped = false;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === 92) {
          j++;
          escaped = true;
        } else if (d === 34) {
          break;
        }
      }
      const top = stack[stack.length - 1];
      if (top) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k]!)) k++;
        if (text[k] === ':') {
          const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
          if (top.has(key)) return { key, line };
          top.add(key);
        }
      }
      i = j;
    }
  }
  return undefined;
}

function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return UNSUPPORTED;
  }
  const dup = findDuplicateJsonKey(text);
  if (dup) throw new YamlSyntaxError(`key ${JSON.stringify(dup.key)} already set in map`, dup.line);
  return value;
}

type YamlModule = typeof YamlPackage;
let yamlModule: YamlModule | undefined;

// The full parser is only loaded for documents outside the fast paths.
async function loadYaml(): Promise<YamlModule> {
  yamlModule ??= await import('yaml');
  return yamlModule;
}

const TAG = 'tag:yaml.org,2002:';

function convertNode(Y: YamlModule, doc: YamlPackage.Document, node: unknown, depth: number): unknown {
  if (depth > 1000) throw new YamlSyntaxError('document is nested too deeply');
  if (node === null || node === undefined) return null;
  if (Y.isAlias(node)) return convertNode(Y, doc, node.resolve(doc), depth + 1);
  if (Y.isScalar(node)) {
    const text = String(node.value ?? '');
    if (node.tag) {
      if (node.tag === `${TAG}str`) return text;
      if (node.tag === `${TAG}binary`) return Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('latin1');
      if ([`${TAG}int`, `${TAG}float`, `${TAG}bool`, `${TAG}null`].includes(node.tag)) return plainScalarValue(text);
      throw new YamlSyntaxError(`cannot decode !${node.tag.replace(TAG, '!')} \`${text}\``);
    }
    return node.type === 'PLAIN' ? plainScalarValue(text) : text;
  }
  if (Y.isMap(node)) {
    const obj: Record<string, unknown> = {};
    const merged: Record<string, unknown>[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key;
      if (Y.isScalar(keyNode) && keyNode.type === 'PLAIN' && !keyNode.tag && keyNode.value === '<<') {
        const source = convertNode(Y, doc, pair.value, depth + 1);
        for (const m of Array.isArray(source) ? source : [source]) {
          if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new YamlSyntaxError('map merge requires map or sequence of maps as the value');
          merged.push(m as Record<string, unknown>);
        }
        continue;
      }
      const key = convertNode(Y, doc, keyNode, depth + 1);
      if (key !== null && typeof key === 'object') throw new YamlSyntaxError('invalid map key: a collection cannot be a key');
      let k: string;
      try {
        k = mapKeyString(key as string | number | boolean | null);
      } catch (err) {
        throw new YamlSyntaxError((err as Error).message);
      }
      setKey(obj, k, convertNode(Y, doc, pair.value, depth + 1));
    }
    for (const m of merged) for (const [k, v] of Object.entries(m)) if (!Object.hasOwn(obj, k)) setKey(obj, k, v);
    return obj;
  }
  if (Y.isSeq(node)) return node.items.map((item) => convertNode(Y, doc, item, depth + 1));
  if (Y.isPair(node)) return convertNode(Y, doc, { items: [node] }, depth + 1);
  throw new YamlSyntaxError('unsupported YAML node');
}

async function parseWithYamlPackage(text: string): Promise<unknown> {
  const Y = await loadYaml();
  // The failsafe schema keeps every scalar as written, so the resolution rules
  // above (go-yaml's, not the package's YAML 1.1 schema) decide what it means.
  const doc = Y.parseDocument(text, { version: '1.1', schema: 'failsafe', uniqueKeys: true, merge: false });
  const err = doc.errors[0];
  if (err) {
    const reason = err.message.replace(/ at line \d+, column \d+[\s\S]*$/, '').replace(/\s+/g, ' ').trim();
    throw new YamlSyntaxError(reason.charAt(0).toLowerCase() + reason.slice(1), err.linePos?.[0]?.line);
  }
  return convertNode(Y, doc, doc.contents, 0);
}

/**
 * Parses one document's text into a JSON value (`null` for an empty document).
 * @throws {YamlSyntaxError}
 */
export async function parseDocument(text: string): Promise<unknown> {
  const start = /\S/.exec(text)?.[0];
  if (start === '{' || start === '[') {
    const value = parseJson(text);
    if (value !== UNSUPPORTED) return value;
  }
  const fast = parseFastYaml(text);
  if (fast !== UNSUPPORTED) return fast;
  return parseWithYamlPackage(text);
}
