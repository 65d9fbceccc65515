/**
 * `calicoctl delete`: deletes `<KIND> <NAME>...` or the resources in `-f`. Every
 * resource is attempted; successes are counted first, then each failure is
 * reported on its own line.
 * @module
 */
import type { DeleteOptions } from '@percale/datastore';
import { CommandFailedError, hasCode, messageOf } from '../errors.ts';
import { EmptyInputError, InputError } from '../input/resource-loader.ts';
import type { CommandContext, FileFlags } from './context.ts';
import { ResourceActionError, WRITE_CONCURRENCY, isIndependentKind, keyOf, placeNamespace, refusal, runInOrder } from './resource-actions.ts';
import { openWithInput } from './session.ts';
import { TargetError, resolveTargets, targetKind, withOrigin, type Target } from './targets.ts';

export interface DeleteFlags extends FileFlags {
  /** `-s/--skip-not-exists`. */
  readonly skipNotExists?: boolean | undefined;
}

/**
 * Runs `calicoctl delete`.
 * @throws {CommandFailedError}
 */
export async function runDelete(ctx: CommandContext, kindArg: string | undefined, names: readonly string[], flags: DeleteFlags): Promise<void> {
  const session = ctx.session(flags);
  try {
    let opened;
    try {
      opened = await openWithInput(session, () => resolveTargets(ctx.io, flags, kindArg, names));
    } catch (err) {
      if (err instanceof InputError) throw new CommandFailedError(`failed to execute command: ${err.problems.join('\n')}`);
      if (err instanceof TargetError || err instanceof EmptyInputError) throw new CommandFailedError(err.message);
      throw err;
    }
    const { client, input } = opened;
    if (input.targets.length === 0) {
      ctx.io.stdout('No resources specified\n');
      return;
    }
    const kind = targetKind(input);
    const remove = async (t: Target) => {
      const res = placeNamespace(t.resource, { namespace: flags.namespace });
      const refused = refusal(res, 'delete');
      if (refused) throw new ResourceActionError(refused);
      const options: DeleteOptions = res.metadata.resourceVersion ? { resourceVersion: res.metadata.resourceVersion } : {};
      try {
        await client.delete(keyOf(res), options);
      } catch (err) {
        if (!(flags.skipNotExists && hasCode(err, 'DATASTORE_NOT_FOUND'))) throw err;
      }
    };
    const results = await runInOrder(
      input.targets,
      { independent: (t) => isIndependentKind(t.resource.kind), key: (t) => `${t.resource.kind}/${t.resource.metadata.namespace ?? ''}/${t.resource.metadata.name ?? ''}`, limit: WRITE_CONCURRENCY },
      remove,
    );
    const failures: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'rejected') failures.push(withOrigin(input.targets[i]!, messageOf(r.reason)));
    });
    const deleted = results.length - failures.length;
    if (deleted > 0) ctx.io.stdout(kind ? `Successfully deleted ${deleted} '${kind}' resource(s)\n` : `Successfully deleted ${deleted} resource(s)\n`);
    if (failures.length) {
      // calicoctl ends each line with a newline and then prints the error with another.
      throw new CommandFailedError(failures.map((f) => (kind ? `Failed to delete '${kind}' resource: ${f}\n` : `Failed to delete resource: ${f}\n`)).join(''));
    }
  } finally {
    await session.close();
  }
}
