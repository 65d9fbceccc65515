/**
 * `calicoctl create`, `apply`, `replace` and `validate`. Every document is read,
 * decoded, placed in its namespace and validated before anything is written, so an
 * invalid file changes nothing; the writes then run in input order with calicoctl's
 * per-resource reporting (`Successfully …`, `Partial success: …`, `hit error: …`).
 * @module
 */
import {
  ValidationError,
  applyCreateDefaults,
  describeKey,
  validateResource,
  workloadEndpointName,
  type Resource,
} from '@percale/api';
import { CommandFailedError, hasCode, messageOf } from '../errors.ts';
import { EmptyInputError, InputError, describeOrigin, loadResources, type LoadedResource } from '../input/resource-loader.ts';
import type { CommandContext, FileFlags } from './context.ts';
import {
  WRITE_CONCURRENCY,
  applyResource,
  createResource,
  isIndependentKind,
  keyOf,
  placeNamespace,
  prefetchExisting,
  refusal,
  runInOrder,
  updateResource,
  type ActionEnv,
} from './resource-actions.ts';
import { openWithInput } from './session.ts';

export type WriteAction = 'create' | 'apply' | 'replace' | 'validate';

const PAST: Record<WriteAction, string> = { create: 'created', apply: 'applied', replace: 'replaced', validate: 'validated' };

export interface WriteFlags extends FileFlags {
  /** `create --skip-exists`. */
  readonly skipExists?: boolean | undefined;
}

/** A resource ready to write, with what messages need to point at it. */
interface Prepared {
  readonly resource: Resource;
  /** `file document n` */
  readonly origin: string;
}

/** The single kind of a batch, or undefined when it mixes kinds (calicoctl's SingleKind). */
function singleKind(resources: readonly { resource: Resource }[]): string | undefined {
  const kinds = new Set(resources.map((r) => r.resource.kind));
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

// Go's %v of an error slice: the errors inside brackets, separated by spaces.
const bracket = (errors: readonly string[]) => `[${errors.join(' ')}]`;

/** calicoctl's "nothing was done" message for create/apply/validate and replace. */
function allFailed(action: WriteAction, total: number, kind: string | undefined, errors: readonly string[]): CommandFailedError {
  const list = action === 'replace' ? errors.join('\n') : bracket(errors);
  if (total === 1) return new CommandFailedError(`failed to ${action} '${kind}' resource: ${list}`);
  if (kind) return new CommandFailedError(`failed to ${action} any '${kind}' resources: ${list}`);
  return new CommandFailedError(`failed to ${action} any resources: ${list}`);
}

function locate(item: LoadedResource, res: Resource): string {
  return `${describeOrigin(item.origin)}, ${describeKey(keyOf(res))}`;
}

const prepared = (item: LoadedResource, resource: Resource): Prepared => ({ resource, origin: describeOrigin(item.origin) });

/**
 * The WorkloadEndpoint name check Calico's client makes: an empty name is derived from
 * the spec's identifiers, a given one must equal that derivation.
 * @throws {ValidationError} with the client's wording
 */
function withWorkloadEndpointName(res: Resource): Resource {
  if (res.kind !== 'WorkloadEndpoint') return res;
  const spec = (res.spec ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof spec[k] === 'string' ? (spec[k] as string) : '');
  const expected = workloadEndpointName({
    node: str('node'), orchestrator: str('orchestrator'), workload: str('workload'),
    pod: str('pod'), containerID: str('containerID'), endpoint: str('endpoint'),
  });
  if (!res.metadata.name) return { ...res, metadata: { ...res.metadata, name: expected } };
  if (res.metadata.name !== expected) {
    throw new ValidationError([{
      field: 'Metadata.Name',
      value: res.metadata.name,
      reason: `the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name ${expected}`,
    }]);
  }
  return res;
}

/**
 * Everything that can be known before writing: namespace rules, refused kinds and
 * names, a create's resourceVersion, and the validation the client will apply.
 */
function prepare(action: WriteAction, item: LoadedResource, namespace: string | undefined): Prepared | { error: string } {
  let res: Resource;
  try {
    res = placeNamespace(item.resource, { namespace });
  } catch (err) {
    return { error: `${describeOrigin(item.origin)}, ${describeKey(keyOf(item.resource))}: ${messageOf(err)}` };
  }
  const where = locate(item, res);
  if (action === 'validate') {
    const errors = validateResource(res);
    return errors.length ? { error: `${where}: ${ValidationError.render(errors)}` } : prepared(item, res);
  }
  const refused = refusal(res, action);
  if (refused) return { error: `${where}: ${refused}` };
  if (action === 'create' && res.metadata.resourceVersion) {
    return { error: `${where}: error with field Metadata.ResourceVersion = '${res.metadata.resourceVersion}' (field must not be set for a Create request)` };
  }
  try {
    res = withWorkloadEndpointName(res);
  } catch (err) {
    return { error: `${where}: ${messageOf(err)}` };
  }
  const errors = validateResource(applyCreateDefaults(res));
  if (errors.length) return { error: `${locate(item, res)}: ${ValidationError.render(errors)}` };
  return prepared(item, res);
}

function writeOne(action: Exclude<WriteAction, 'validate'>, env: ActionEnv, res: Resource, skipExists: boolean, known: Resource | null | undefined): Promise<unknown> {
  switch (action) {
    case 'create':
      return createResource(env, res).catch((err: unknown) => {
        if (skipExists && hasCode(err, 'DATASTORE_ALREADY_EXISTS')) return res;
        throw err;
      });
    case 'apply':
      return applyResource(env, res, known);
    case 'replace':
      // A resource the listing did not find goes through the normal read, which reports it.
      return updateResource(env, res, known ?? undefined);
  }
}

function inputFailure(err: unknown): CommandFailedError {
  if (err instanceof InputError) return new CommandFailedError(`failed to execute command: ${err.problems.join('\n')}`);
  if (err instanceof EmptyInputError) return new CommandFailedError(err.message);
  return err instanceof CommandFailedError ? err : new CommandFailedError(messageOf(err), { cause: err });
}

/**
 * Runs create, apply, replace or validate over the resources in `-f`.
 * @throws {CommandFailedError} with calicoctl's message when anything failed
 */
export async function runWriteCommand(ctx: CommandContext, action: WriteAction, flags: WriteFlags): Promise<void> {
  const load = () => loadResources({
    filename: flags.filename!,
    recursive: flags.recursive ?? false,
    skipEmpty: flags.skipEmpty ?? false,
    readStdin: ctx.io.readStdin,
  });
  const session = action === 'validate' ? undefined : ctx.session(flags);
  let loaded: LoadedResource[];
  let env: ActionEnv | undefined;
  try {
    if (session) {
      const opened = await openWithInput(session, load);
      loaded = opened.input;
      env = { client: opened.client, sleep: ctx.sleep };
    } else {
      loaded = await load();
    }
  } catch (err) {
    await session?.close();
    throw inputFailure(err);
  }
  try {
    await execute(ctx, action, flags, loaded, env);
  } finally {
    await session?.close();
  }
}

async function execute(ctx: CommandContext, action: WriteAction, flags: WriteFlags, loaded: LoadedResource[], env: ActionEnv | undefined): Promise<void> {
  const out = ctx.io.stdout;
  if (loaded.length === 0) {
    out('No resources specified\n');
    return;
  }
  const total = loaded.length;
  const kind = singleKind(loaded);
  const ready: Prepared[] = [];
  const problems: string[] = [];
  for (const item of loaded) {
    const p = prepare(action, item, flags.namespace);
    if ('error' in p) problems.push(p.error);
    else ready.push(p);
  }

  if (action === 'validate') {
    report(ctx, action, total, kind, total - problems.length, problems);
    return;
  }
  if (problems.length) throw allFailed(action, total, kind, problems);

  // Datastore initialisation is best effort: the user may only be allowed to write some kinds.
  await env!.client.ensureInitialized().catch((err: unknown) => ctx.log.info('Unable to initialize datastore', { error: messageOf(err) }));

  // Apply and replace of many resources find the existing ones with a listing per kind.
  const known = action === 'create' ? new Map<string, Resource | null>() : await prefetchExisting(env!.client, ready.map((p) => p.resource));
  const results = await runInOrder(
    ready,
    { independent: (p) => isIndependentKind(p.resource.kind), key: (p) => describeKey(keyOf(p.resource)), limit: WRITE_CONCURRENCY },
    (p) => writeOne(action, env!, p.resource, flags.skipExists ?? false, known.get(describeKey(keyOf(p.resource)))),
  );
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') errors.push(`${ready[i]!.origin}: ${messageOf(r.reason)}`);
  });
  ctx.log.info('Executed command', { action, resources: total, failed: errors.length });

  if (action === 'replace') {
    // calicoctl counts a failed replace as handled and keeps only the last error.
    if (errors.length === 0) {
      out(kind ? `Successfully replaced ${total} '${kind}' resource(s)\n` : `Successfully replaced ${total} resource(s)\n`);
      return;
    }
    out(kind ? `Partial success: replaced the first ${total} out of ${total} '${kind}' resources:\n` : `Partial success: replaced the first ${total} out of ${total} resources:\n`);
    throw new CommandFailedError(`hit error: ${errors[errors.length - 1]}`);
  }
  report(ctx, action, total, kind, total - errors.length, errors);
}

// createOrApplyOrValidate's reporting, where `handled` counts the successes.
function report(ctx: CommandContext, action: WriteAction, total: number, kind: string | undefined, handled: number, errors: readonly string[]): void {
  const past = PAST[action];
  if (handled === 0) throw allFailed(action, total, kind, errors);
  if (errors.length === 0) {
    ctx.io.stdout(kind ? `Successfully ${past} ${handled} '${kind}' resource(s)\n` : `Successfully ${past} ${handled} resource(s)\n`);
    return;
  }
  if (handled - errors.length > 0) {
    ctx.io.stdout(kind ? `Partial success: ${past} the first ${handled} out of ${total} '${kind}' resources:\n` : `Partial success: ${past} the first ${handled} out of ${total} resources:\n`);
  }
  throw new CommandFailedError(`hit error: ${bracket(errors)}`);
}

