/**
 * The resources a `get`, `delete`, `patch` or `label` acts on: either the ones
 * in `-f`, or `<KIND> [<NAME>...]` from the command line turned into bare
 * resources, as calicoctl does before applying its namespace rules.
 * @module
 */
import { kindByAlias, type KindInfo, type Resource } from '@percale/api';
import { describeOrigin, loadResources } from '../input/resource-loader.ts';
import { resourceFromArgs, type CliIO, type FileFlags } from './context.ts';

/** One resource to act on; `origin` is set when it came from a file. */
export interface Target {
  readonly resource: Resource;
  readonly origin?: string;
}

/** What the arguments asked for. */
export interface TargetSet {
  readonly targets: readonly Target[];
  /** True when names were typed on the command line (`--export` applies only then). */
  readonly namesGiven: boolean;
  /** Set when the targets came from `<KIND>` arguments. */
  readonly kind?: KindInfo;
}

/** Failures in the arguments themselves, reported by each command in its own words. */
export class TargetError extends Error {
  readonly code = 'CLI_TARGET';
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/**
 * Resolves `-f` or `<KIND> [<NAME>...]` into targets.
 * @throws {TargetError} unknown kind, empty name, or nothing specified
 * @throws {InputError}, {EmptyInputError} from reading `-f`
 */
export async function resolveTargets(io: CliIO, flags: FileFlags, kindArg: string | undefined, names: readonly string[]): Promise<TargetSet> {
  if (flags.filename !== undefined) {
    const loaded = await loadResources({
      filename: flags.filename,
      recursive: flags.recursive ?? false,
      skipEmpty: flags.skipEmpty ?? false,
      readStdin: io.readStdin,
    });
    return { targets: loaded.map((l) => ({ resource: l.resource, origin: describeOrigin(l.origin) })), namesGiven: false };
  }
  if (kindArg === undefined) throw new TargetError('no resources specified');
  const kind = kindByAlias(kindArg);
  if (!kind) throw new TargetError(`resource type '${kindArg}' is not supported`);
  if (names.some((n) => n === '')) throw new TargetError('resource name may not be empty');
  const list = names.length ? names : [''];
  return {
    targets: list.map((name) => ({ resource: resourceFromArgs(kind.kind, name, flags.namespace, kind.namespaced) })),
    namesGiven: names.length > 0,
    kind,
  };
}

/** calicoctl's SingleKind: the kind when all targets share it (always, for `<KIND>` arguments). */
export function targetKind(set: TargetSet): string | undefined {
  if (set.kind) return set.kind.kind;
  const kinds = new Set(set.targets.map((t) => t.resource.kind));
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

/** Prefixes an error with the file location of the target it belongs to. */
export function withOrigin(target: Target, message: string): string {
  return target.origin ? `${target.origin}: ${message}` : message;
}
