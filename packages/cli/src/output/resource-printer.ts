/**
 * `calicoctl get` output: picks the format from `-o` and renders the result
 * sequence (one `<Kind>List` for a listing, one object per requested name) as
 * tables, YAML or JSON exactly as calicoctl prints them.
 * @module
 */
import { API_VERSION, orderedResource, type Resource } from '@percale/api';
import { CommandFailedError } from '../errors.ts';
import { toGoJson } from './go-json.ts';
import { formatTable } from './tabwriter.ts';
import { columnsFor, needsGlobalASNumber, type CellContext } from './table-columns.ts';
import { toYaml } from './yaml-writer.ts';

/** The output of a listing: calicoctl's `<Kind>List` object. */
export interface ListResult {
  readonly kind: string;
  readonly items: readonly Resource[];
  readonly resourceVersion: string;
}

/** One element of what `get` prints. */
export type PrintObject = { readonly resource: Resource } | { readonly list: ListResult };

export type OutputFormat =
  | { readonly type: 'table'; readonly headings?: readonly string[]; readonly wide: boolean; readonly printNamespace: boolean }
  | { readonly type: 'yaml' }
  | { readonly type: 'json' };

/**
 * Parses `-o`. `printNamespace` is whether `-n` or `-A` was given.
 * @throws {CommandFailedError} for an unknown or unsupported format
 */
export function parseOutputFormat(output: string, printNamespace: boolean): OutputFormat {
  switch (output) {
    case 'yaml':
    case 'yml':
      return { type: 'yaml' };
    case 'json':
      return { type: 'json' };
    case 'ps':
      return { type: 'table', wide: false, printNamespace };
    case 'wide':
      return { type: 'table', wide: true, printNamespace };
  }
  const eq = output.indexOf('=');
  const key = eq < 0 ? output : output.slice(0, eq);
  const value = eq < 0 ? '' : output.slice(eq + 1);
  switch (key) {
    case 'go-template':
    case 'go-template-file':
      if (value === '') throw new CommandFailedError(key === 'go-template' ? 'need to specify a template' : 'need to specify a template file');
      throw new CommandFailedError(`output format '${key}' is not supported by Percale's calicoctl (Go templates need the Go runtime); use -o yaml, -o json, -o wide or -o custom-columns=<COLUMN>,... instead`);
    case 'custom-columns':
      if (value === '') throw new CommandFailedError('need to specify at least one column');
      return { type: 'table', headings: value.split(','), wide: false, printNamespace: false };
  }
  throw new CommandFailedError(`unrecognized output format '${output}'`);
}

function listObject(list: ListResult): Record<string, unknown> {
  return {
    kind: `${list.kind}List`,
    apiVersion: API_VERSION,
    metadata: { resourceVersion: list.resourceVersion },
    items: list.items.map((r) => orderedResource(r)),
  };
}

const toJsonShape = (o: PrintObject) => ('list' in o ? listObject(o.list) : orderedResource(o.resource));

function table(kind: string, items: readonly Resource[], format: Extract<OutputFormat, { type: 'table' }>, cx: CellContext): string {
  const columns = columnsFor(kind);
  let headings = format.headings ?? (format.wide ? columns.wide : columns.defaults);
  if (format.printNamespace && columns.cells.NAMESPACE) headings = ['NAMESPACE', ...headings];
  const cells = headings.map((h) => {
    const cell = columns.cells[h];
    if (!cell) {
      throw new CommandFailedError(`unknown heading ${h}, valid values are: ${Object.keys(columns.cells).sort().join(', ')}`);
    }
    return cell;
  });
  let text = headings.map((h) => `${h}\t`).join('') + '\n';
  for (const r of items) text += cells.map((cell) => `${cell(r, cx)}\t`).join('') + '\n';
  return formatTable(text);
}

/** Headings a table of `kind` will show, to decide up front whether extra data is needed. */
export function tableNeedsGlobalASNumber(objects: readonly PrintObject[], format: OutputFormat): boolean {
  if (format.type !== 'table') return false;
  return objects.some((o) => {
    const kind = 'list' in o ? o.list.kind : o.resource.kind;
    const items = 'list' in o ? o.list.items : [o.resource];
    const c = columnsFor(kind);
    return needsGlobalASNumber(kind, items, format.headings ?? (format.wide ? c.wide : c.defaults));
  });
}

/**
 * Renders the result sequence. YAML and JSON print a single element on its own and
 * several as an array (`null` when there are none); JSON has no trailing newline.
 * Tables print one table per element, each followed by an empty line.
 * @throws {CommandFailedError} for an unknown custom column
 */
export function renderObjects(objects: readonly PrintObject[], format: OutputFormat, cx: CellContext = {}): string {
  if (format.type === 'yaml' || format.type === 'json') {
    const shapes = objects.map(toJsonShape);
    const value = shapes.length === 1 ? shapes[0] : shapes.length === 0 ? null : shapes;
    return format.type === 'yaml' ? toYaml(value) : toGoJson(value);
  }
  let out = '';
  for (const o of objects) {
    out += 'list' in o ? table(o.list.kind, o.list.items, format, cx) : table(o.resource.kind, [o.resource], format, cx);
    out += '\n';
  }
  return out;
}
