/**
 * `calicoctl get`: lists a kind or reads named resources (or those in `-f`) and
 * prints them as tables, YAML or JSON. Resources that are missing are reported
 * after everything found has been printed, one line each, and the run fails.
 * @module
 */
import { kindInfo, type Resource } from '@percale/api';
import type { ResourceClient } from '@percale/datastore';
import { CommandFailedError, hasCode, messageOf } from '../errors.ts';
import { EmptyInputError, InputError } from '../input/resource-loader.ts';
import { parseOutputFormat, renderObjects, tableNeedsGlobalASNumber, type PrintObject } from '../output/resource-printer.ts';
import type { CommandContext, FileFlags } from './context.ts';
import { keyOf, placeNamespace, runInOrder } from './resource-actions.ts';
import { openWithInput } from './session.ts';
import { TargetError, resolveTargets, withOrigin, type Target } from './targets.ts';

export interface GetFlags extends FileFlags {
  readonly output?: string | undefined;
  readonly allNamespaces?: boolean | undefined;
  readonly export?: boolean | undefined;
}

/** What `--export` removes: everything that only makes sense in the cluster it came from. */
function exported(res: Resource): Resource {
  const metadata = { ...res.metadata };
  delete metadata.namespace;
  delete metadata.uid;
  delete metadata.resourceVersion;
  delete metadata.creationTimestamp;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  return { ...res, metadata };
}

// calicoctl lists tiers by order, unordered ones last, otherwise keeping the datastore order.
function sortTiers(items: Resource[]): Resource[] {
  const order = (r: Resource) => (r.spec as { order?: number } | undefined)?.order;
  return items
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const oa = order(a.r);
      const ob = order(b.r);
      if (oa === undefined || ob === undefined) return oa === ob ? a.i - b.i : oa === undefined ? 1 : -1;
      return oa - ob || a.i - b.i;
    })
    .map((x) => x.r);
}

async function fetchOne(client: ResourceClient, target: Target, flags: GetFlags, exportNames: boolean): Promise<PrintObject> {
  const res = placeNamespace(target.resource, { namespace: flags.namespace, allNamespaces: flags.allNamespaces ?? false });
  const info = kindInfo(res.kind)!;
  if (res.metadata.name) {
    if (info.namespaced && !res.metadata.namespace) throw new Error('cannot use --all-namespace flag for getting a single resource');
    const found = await client.get(keyOf(res));
    return { resource: exportNames ? exported(found) : found };
  }
  const list = await client.list(res.metadata.namespace ? { kind: res.kind, namespace: res.metadata.namespace } : { kind: res.kind });
  return { list: { kind: res.kind, items: res.kind === 'Tier' ? sortTiers(list.items) : list.items, resourceVersion: list.revision } };
}

// The cluster AS number shown for Nodes without their own: BGPConfiguration default's, or 64512.
async function globalASNumber(client: ResourceClient): Promise<string> {
  try {
    const cfg = await client.get({ kind: 'BGPConfiguration', name: 'default' });
    const asn = (cfg.spec as { asNumber?: unknown } | undefined)?.asNumber;
    return asn === undefined || asn === null ? '64512' : String(asn);
  } catch (err) {
    return hasCode(err, 'DATASTORE_NOT_FOUND') ? '64512' : 'unknown';
  }
}

/**
 * Runs `calicoctl get`.
 * @throws {CommandFailedError}
 */
export async function runGet(ctx: CommandContext, kindArg: string | undefined, names: readonly string[], flags: GetFlags): Promise<void> {
  const format = parseOutputFormat(flags.output ?? 'ps', Boolean(flags.allNamespaces) || Boolean(flags.namespace));
  const session = ctx.session(flags);
  try {
    let opened;
    try {
      opened = await openWithInput(session, () => resolveTargets(ctx.io, flags, kindArg, names));
    } catch (err) {
      if (err instanceof InputError) throw new CommandFailedError(`failed to execute command: ${err.problems.join('\n')}`);
      if (err instanceof TargetError || err instanceof EmptyInputError) throw new CommandFailedError(`failed to get resources: ${err.message}`);
      if (err instanceof CommandFailedError && err.stream === 'stderr') throw new CommandFailedError(`failed to get resources: ${err.message}`);
      throw err;
    }
    const { client, input } = opened;
    const exportNames = Boolean(flags.export) && input.namesGiven;
    // Reads are independent of each other: fetch several at a time, report in input order.
    const indexed = input.targets.map((target, i) => ({ target, i }));
    const results = await runInOrder(indexed, { independent: () => true, key: (x) => String(x.i), limit: 16 }, (x) => fetchOne(client, x.target, flags, exportNames));
    const objects: PrintObject[] = [];
    const errors: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') objects.push(r.value);
      else errors.push(withOrigin(input.targets[i]!, messageOf(r.reason)));
    });
    const cx = tableNeedsGlobalASNumber(objects, format) ? { globalASNumber: await globalASNumber(client) } : {};
    ctx.io.stdout(renderObjects(objects, format, cx));
    if (errors.length) throw new CommandFailedError(errors.join('\n'));
  } finally {
    await session.close();
  }
}
