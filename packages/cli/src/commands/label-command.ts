/**
 * `calicoctl label <KIND> <NAME> key=value [--overwrite]` and
 * `calicoctl label <KIND> <NAME> key --remove`: reads the resource, changes one
 * label and updates it at the version read.
 * @module
 */
import { CommandFailedError, messageOf } from '../errors.ts';
import type { CommandContext } from './context.ts';
import { ResourceActionError, keyOf, placeNamespace, refusal, updateResource } from './resource-actions.ts';
import { openWithInput } from './session.ts';
import { TargetError, resolveTargets } from './targets.ts';

export interface LabelFlags {
  readonly overwrite?: boolean | undefined;
  readonly remove?: boolean | undefined;
  readonly config?: string | undefined;
  readonly namespace?: string | undefined;
  readonly allowVersionMismatch?: boolean | undefined;
}

/**
 * Runs `calicoctl label`. `kindArg` is echoed in messages exactly as typed.
 * @throws {CommandFailedError}
 */
export async function runLabel(ctx: CommandContext, kindArg: string, name: string, labelArg: string, flags: LabelFlags): Promise<void> {
  let key: string;
  let value = '';
  if (flags.remove) {
    key = labelArg;
  } else {
    const eq = labelArg.indexOf('=');
    if (eq < 0) throw new CommandFailedError(`invalid label ${labelArg}`);
    key = labelArg.slice(0, eq);
    value = labelArg.slice(eq + 1);
  }
  const session = ctx.session(flags);
  try {
    let opened;
    try {
      opened = await openWithInput(session, () => resolveTargets(ctx.io, { namespace: flags.namespace }, kindArg, [name]));
    } catch (err) {
      if (err instanceof TargetError) throw new CommandFailedError(`failed to get ${kindArg} ${name}, error ${err.message}`);
      if (err instanceof CommandFailedError && err.stream === 'stderr') throw new CommandFailedError(`failed to get ${kindArg} ${name}, error ${err.message}`);
      throw err;
    }
    const { client, input } = opened;
    let current;
    try {
      const res = placeNamespace(input.targets[0]!.resource, { namespace: flags.namespace });
      if (!res.metadata.namespace && input.kind!.namespaced) throw new ResourceActionError('cannot use --all-namespace flag for getting a single resource');
      current = await client.get(keyOf(res));
    } catch (err) {
      // calicoctl's get collects per-resource errors and then finds nothing to label.
      ctx.log.info('Failed to get resource', { error: messageOf(err) });
      throw new CommandFailedError(`${kindArg} ${name} not found`);
    }
    const labels = { ...(current.metadata.labels ?? {}) };
    let overwritten = false;
    if (flags.remove) {
      if (!Object.hasOwn(labels, key)) throw new CommandFailedError(`cannot remove label of ${kindArg} ${name}, key ${key} does not exist`);
      delete labels[key];
    } else if (Object.hasOwn(labels, key)) {
      if (!flags.overwrite && labels[key] !== value) {
        throw new CommandFailedError(`failed to update label of ${kindArg} ${name}, key ${key} is already present. please use '--overwrite' to set a new value`);
      }
      labels[key] = value;
      overwritten = true;
    } else {
      labels[key] = value;
    }
    try {
      const updated = { ...current, metadata: { ...current.metadata, labels } };
      const refused = refusal(updated, 'replace');
      if (refused) throw new ResourceActionError(refused);
      await updateResource({ client, sleep: ctx.sleep }, updated);
    } catch (err) {
      ctx.log.info('Failed to update resource', { error: messageOf(err) });
      throw new CommandFailedError(`failed to update ${kindArg} ${name}, label not changed`);
    }
    if (flags.remove) ctx.io.stdout(`Successfully removed label ${key} from ${kindArg} ${name}\n`);
    else if (overwritten) ctx.io.stdout(`Successfully updated label ${key} on ${kindArg} ${name}\n`);
    else ctx.io.stdout(`Successfully set label ${key} on ${kindArg} ${name}\n`);
  } finally {
    await session.close();
  }
}
