/**
 * Reads the resources named by `-f` (a file, a directory, or `-` for stdin) into
 * decoded v3 resources, each remembering where it came from. Every document is
 * parsed and decoded before anything is returned, and every problem found is
 * reported with its file, document, resource and field.
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API_VERSION, decodeResource, describeKey, formatFieldError, kindInfo, type FieldError, type Resource } from '@percale/api';
import { splitDocuments } from './document-splitter.ts';
import { YamlSyntaxError, parseDocument } from './parse-document.ts';

/** Where a resource was read from. */
export interface ResourceOrigin {
  /** The path as given (`-` for stdin). */
  readonly file: string;
  /** 1-based document number within the file. */
  readonly document: number;
  /** 1-based position inside a `<Kind>List` or array document. */
  readonly item?: number;
}

/** A decoded resource and its origin. */
export interface LoadedResource {
  readonly resource: Resource;
  readonly origin: ResourceOrigin;
}

/** Some document could not be parsed or decoded; calicoctl prints `failed to execute command: …`. */
export class InputError extends Error {
  readonly code = 'CLI_INVALID_INPUT';
  /** One line per problem, each naming its location. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InputError';
    this.problems = problems;
  }
}

/** A file or directory held no resources (and `--skip-empty` was not given). */
export class EmptyInputError extends Error {
  readonly code = 'CLI_EMPTY_INPUT';
  constructor(what: 'file' | 'directory', path: string) {
    super(`no resources specified in ${what} ${path}`);
    this.name = 'EmptyInputError';
  }
}

/** `file document 2, item 3` — how messages point at a document. */
export function describeOrigin(origin: ResourceOrigin): string {
  const file = origin.file === '-' ? 'stdin' : origin.file;
  return `${file} document ${origin.document}${origin.item === undefined ? '' : `, item ${origin.item}`}`;
}

/** `Kind(ns/name)` for a decoded or raw resource, or just the kind when it has no name. */
export function describeResource(kind: string, metadata: unknown): string {
  const meta = metadata !== null && typeof metadata === 'object' ? (metadata as Record<string, unknown>) : {};
  const name = typeof meta.name === 'string' && meta.name ? meta.name : undefined;
  const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : undefined;
  if (!name) return kind;
  return describeKey(namespace ? { kind, namespace, name } : { kind, name });
}

/** Renders one decode/validation error as calicoctl words it. */
export function describeFieldError(e: FieldError): string {
  if (e.reason.startsWith('unknown resource type (')) return e.reason;
  if (e.reason.startsWith('field in document is not recognized or is in the wrong location:')) {
    return `field in document is not recognized or is in the wrong location: ${e.field}`;
  }
  return `error with field ${formatFieldError(e)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const LIST_MEMBERS = new Set(['apiVersion', 'kind', 'metadata', 'items']);

interface Sink {
  resources: LoadedResource[];
  problems: string[];
}

function decodeOne(value: Record<string, unknown>, origin: ResourceOrigin, sink: Sink): void {
  const where = `${describeOrigin(origin)}, ${describeResource(String(value.kind), value.metadata)}`;
  const { resource, errors } = decodeResource(value);
  if (resource) {
    sink.resources.push({ resource, origin });
    return;
  }
  for (const e of errors) sink.problems.push(`${e.reason.startsWith('unknown resource type (') ? describeOrigin(origin) : where}: ${describeFieldError(e)}`);
}

function decodeList(value: Record<string, unknown>, itemKind: string, origin: ResourceOrigin, sink: Sink): void {
  const where = describeOrigin(origin);
  for (const key of Object.keys(value)) {
    if (!LIST_MEMBERS.has(key)) sink.problems.push(`${where}: field in document is not recognized or is in the wrong location: ${key}`);
  }
  if (value.metadata !== undefined && value.metadata !== null && !isObject(value.metadata)) {
    sink.problems.push(`${where}: error with field metadata (expected an object, got ${jsonType(value.metadata)})`);
  }
  const items = value.items ?? [];
  if (!Array.isArray(items)) {
    sink.problems.push(`${where}: error with field items (expected an array, got ${jsonType(items)})`);
    return;
  }
  items.forEach((item, i) => {
    const itemOrigin = { ...origin, item: i + 1 };
    if (!isObject(item)) {
      sink.problems.push(`${describeOrigin(itemOrigin)}: error with field items[${i}] (expected a resource object, got ${jsonType(item)})`);
      return;
    }
    // Items of a <Kind>List are of that kind, whether or not they say so.
    const kind = item.kind ?? itemKind;
    const apiVersion = item.apiVersion ?? value.apiVersion;
    if (kind !== itemKind || apiVersion !== API_VERSION) {
      sink.problems.push(`${describeOrigin(itemOrigin)}: unknown resource type (${String(kind)}) and/or version (${String(apiVersion)}) in a ${itemKind}List`);
      return;
    }
    decodeOne({ ...item, kind, apiVersion }, itemOrigin, sink);
  });
}

// One parsed value: a resource, a <Kind>List, or an array of either.
function decodeValue(value: unknown, origin: ResourceOrigin, sink: Sink, nested: boolean): void {
  if (value === null) return;
  if (Array.isArray(value)) {
    if (nested) {
      sink.problems.push(`${describeOrigin(origin)}: expected a resource object, got array`);
      return;
    }
    value.forEach((v, i) => decodeValue(v, { ...origin, item: i + 1 }, sink, true));
    return;
  }
  if (!isObject(value)) {
    sink.problems.push(`${describeOrigin(origin)}: expected a resource, a <Kind>List or a list of resources, got ${jsonType(value)}`);
    return;
  }
  const kind = value.kind;
  if (typeof kind !== 'string' || kind === '') {
    const text = JSON.stringify(value);
    sink.problems.push(`${describeOrigin(origin)}: Object 'Kind' is missing in '${text.length > 200 ? `${text.slice(0, 200)}…` : text}'`);
    return;
  }
  if (kind.endsWith('List') && value.apiVersion === API_VERSION && kindInfo(kind.slice(0, -4)) && !kindInfo(kind)) {
    decodeList(value, kind.slice(0, -4), origin, sink);
    return;
  }
  decodeOne(value, origin, sink);
}

/** Parses and decodes one stream; returns how many resources it held. */
export async function decodeStream(text: string, file: string, sink: Sink): Promise<number> {
  const before = sink.resources.length;
  for (const doc of splitDocuments(text)) {
    const origin = { file, document: doc.index };
    let value: unknown;
    try {
      value = await parseDocument(doc.text);
    } catch (err) {
      if (!(err instanceof YamlSyntaxError)) throw err;
      const line = err.line === undefined ? '' : `line ${doc.startLine + err.line - 1}: `;
      sink.problems.push(`${describeOrigin(origin)}: error converting YAML to JSON: yaml: ${line}${err.reason}`);
      continue;
    }
    decodeValue(value, origin, sink, false);
  }
  return sink.resources.length - before;
}

function manifestFiles(dir: string, recursive: boolean): string[] {
  // filepath.Walk order: lexical by name, entering directories in place.
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) {
      if (recursive) out.push(...manifestFiles(path, recursive));
    } else if (/\.(ya?ml|json)$/i.test(name)) {
      out.push(path);
    }
  }
  return out;
}

export interface LoadResourcesOptions {
  /** The `-f` value. */
  readonly filename: string;
  readonly recursive?: boolean;
  readonly skipEmpty?: boolean;
  /** Reads all of standard input (for `-f -`). */
  readonly readStdin: () => Promise<string>;
}

/**
 * Loads every resource named by `-f`, in file and document order.
 * @throws {InputError} when any document fails to parse or decode (all problems listed)
 * @throws {EmptyInputError} when a file or directory holds no resources (unless skipEmpty)
 */
export async function loadResources(options: LoadResourcesOptions): Promise<LoadedResource[]> {
  const { filename } = options;
  const sink: Sink = { resources: [], problems: [] };
  let isDir = false;
  if (filename !== '-') {
    try {
      isDir = statSync(filename).isDirectory();
    } catch {
      isDir = false;
    }
  }
  const files = isDir ? manifestFiles(filename, options.recursive ?? false) : [filename];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? await options.readStdin() : readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      sink.problems.push(`open ${file}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
      break;
    }
    const n = await decodeStream(text, file, sink);
    if (n === 0 && !options.skipEmpty && sink.problems.length === 0) throw new EmptyInputError('file', file);
  }
  if (sink.problems.length) throw new InputError(sink.problems);
  if (isDir && sink.resources.length === 0 && !options.skipEmpty) throw new EmptyInputError('directory', filename);
  return sink.resources;
}
