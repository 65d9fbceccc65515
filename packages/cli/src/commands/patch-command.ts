/**
 * `calicoctl patch <KIND> <NAME> -p <json>`: merges a JSON patch into the stored
 * resource and writes it back at the version read. Calico applies a Kubernetes
 * strategic merge patch, which for Calico's types (no merge directives) is a JSON
 * merge patch: objects merge recursively, lists are replaced, `null` removes.
 * @module
 */
import { decodeResource, orderedResource } from '@percale/api';
import { CommandFailedError, messageOf } from '../errors.ts';
import { describeFieldError } from '../input/resource-loader.ts';
import type { CommandContext } from './context.ts';
import { ResourceActionError, keyOf, placeNamespace, refusal } from './resource-actions.ts';
import { openWithInput } from './session.ts';
import { TargetError, resolveTargets } from './targets.ts';

export interface PatchFlags {
  readonly patch?: string | undefined;
  readonly type?: string | undefined;
  readonly config?: string | undefined;
  readonly namespace?: string | undefined;
  readonly allowVersionMismatch?: boolean | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386 JSON merge patch of `patch` into `target` (both JSON values; inputs are not modified). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Runs `calicoctl patch`.
 * @throws {CommandFailedError}
 */
export async function runPatch(ctx: CommandContext, kindArg: string, name: string, flags: PatchFlags): Promise<void> {
  const session = ctx.session(flags);
  try {
    let opened;
    try {
      opened = await openWithInput(session, () => resolveTargets(ctx.io, { namespace: flags.namespace }, kindArg, [name]));
    } catch (err) {
      if (err instanceof TargetError) throw new CommandFailedError(err.message);
      throw err;
    }
    const { client, input } = opened;
    const kind = input.kind!.kind;
    try {
      const res = placeNamespace(input.targets[0]!.resource, { namespace: flags.namespace });
      const current = await client.get(keyOf(res));
      let patch: unknown;
      try {
        patch = JSON.parse(flags.patch ?? '');
      } catch {
        throw new ResourceActionError('performing strategic merge patch: invalid JSON document');
      }
      if (!isObject(patch)) throw new ResourceActionError('performing strategic merge patch: invalid JSON document');
      const patched = mergePatch(JSON.parse(JSON.stringify(orderedResource(current))), patch);
      const decoded = decodeResource(patched);
      if (!decoded.resource) {
        throw new ResourceActionError(`creating resource from patched data: ${decoded.errors.map(describeFieldError).join('; ')}`);
      }
      try {
        const refused = refusal(decoded.resource, 'replace');
        if (refused) throw new ResourceActionError(refused);
        await client.update(decoded.resource);
      } catch (err) {
        throw new ResourceActionError(`updating existing resource: ${messageOf(err)}`);
      }
    } catch (err) {
      throw new CommandFailedError(`hit error: ${messageOf(err)}`);
    }
    ctx.io.stdout(`Successfully patched 1 '${kind}' resource\n`);
  } finally {
    await session.close();
  }
}
