/**
 * The calicoctl command tree: parses one invocation's arguments with commander and
 * dispatches to the command modules, mapping failures to calicoctl's messages and exit
 * status. `calicoctl.ts` loads this lazily, after enabling Node's compile cache.
 *
 *   argv ─► commander ─► commands/<name>.ts ─► input/ (files) ─► datastore client
 *                                          └─► output/ (tables, YAML, JSON)
 * @module
 */
import { Command, CommanderError, Option } from 'commander';
import { connectEtcd } from './commands/etcd-client.ts';
import { createContext, type CliIO, type CommandContext } from './commands/context.ts';
import { runDatastoreLock } from './commands/datastore-command.ts';
import { runDelete } from './commands/delete-command.ts';
import { runGet } from './commands/get-command.ts';
import { runLabel } from './commands/label-command.ts';
import { runNodeStatus } from './commands/node-status.ts';
import { runPatch } from './commands/patch-command.ts';
import { runVersion } from './commands/version-command.ts';
import { runWriteCommand, type WriteAction } from './commands/write-commands.ts';
import { CommandFailedError, isCommandFailedError, messageOf } from './errors.ts';
import { Logger, parseLogLevel, type LogLevel } from './logger.ts';

// Flags that take a value, for turning pflag's `-o=yaml` into `-o yaml`.
const SHORT_VALUE_FLAGS = new Set(['-f', '-n', '-o', '-c', '-p', '-t', '-l']);
const BOOLEAN_FLAGS = new Set([
  '--recursive', '--skip-empty', '--skip-exists', '--skip-not-exists', '--all-namespaces', '--export',
  '--overwrite', '--remove', '--allow-version-mismatch', '--client',
]);

/** Accepts the spellings Go's pflag accepts and commander does not: `-o=yaml`, `--export=true`. */
export function normaliseArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (eq > 0 && SHORT_VALUE_FLAGS.has(flag)) {
      out.push(flag, arg.slice(eq + 1));
    } else if (eq > 0 && BOOLEAN_FLAGS.has(flag) && /^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(arg.slice(eq + 1))) {
      if (/^(true|1|t|TRUE|True)$/.test(arg.slice(eq + 1))) out.push(flag);
    } else {
      out.push(arg);
    }
  }
  return out;
}

type Opts = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown) => v === true;

function fileOptions(cmd: Command): Command {
  return cmd
    .option('-f, --filename <filename>', "Filename to use to create/apply/replace/delete the resource. Use '-' for stdin.")
    .option('-R, --recursive', 'Process the filename specified in -f recursively.')
    .option('--skip-empty', 'Do not error if files contain no data.')
    .option('-c, --config <config>', 'Path to the file containing connection configuration in YAML or JSON format.', '/etc/calico/calicoctl.cfg')
    .option('-n, --namespace <namespace>', 'Namespace of the resource.');
}

function fileFlags(o: Opts) {
  return {
    filename: str(o.filename),
    recursive: bool(o.recursive),
    skipEmpty: bool(o.skipEmpty),
    config: str(o.config),
    namespace: str(o.namespace) || undefined,
    allowVersionMismatch: bool(o.allowVersionMismatch),
  };
}

function buildProgram(io: CliIO, ctxFor: (level: LogLevel) => CommandContext): Command {
  const program = new Command('calicoctl')
    .description('The calicoctl command line tool is used to manage Calico network and security policy, to view and manage endpoint configuration, and to manage a Calico node instance.')
    .option('-l, --log-level <level>', 'Set the log level (panic, fatal, error, warn, info, debug)', 'panic')
    .option('--context <context>', 'The name of the kubeconfig context to use (accepted and ignored: Percale uses the etcd datastore)')
    .option('--allow-version-mismatch', 'Allow client and cluster versions mismatch')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  const context = (cmd: Command) => ctxFor(parseLogLevel(String(cmd.optsWithGlobals().logLevel ?? 'panic')));

  const writeCommand = (name: WriteAction, description: string) => {
    const cmd = fileOptions(program.command(name).description(description));
    if (name === 'create') cmd.option('--skip-exists', 'Skip over resources that already exist.');
    cmd.action(async (_opts: Opts, self: Command) => {
      const o = self.optsWithGlobals();
      if (o.filename === undefined) throw new CommanderError(1, 'calicoctl.missingFile', "error: required option '-f, --filename <filename>' not specified");
      await runWriteCommand(context(self), name, { ...fileFlags(o), skipExists: bool(o.skipExists) });
    });
  };
  writeCommand('create', 'Create a resource by file, directory or stdin.');
  writeCommand('apply', 'Apply a resource by file, directory or stdin. This creates a resource if it does not exist, and replaces a resource if it does exists.');
  writeCommand('replace', 'Replace a resource by file, directory or stdin.');
  writeCommand('validate', 'Validate a resource by file, directory or stdin without applying it (offline).');

  fileOptions(program.command('delete').description('Delete a resource identified by file, directory, stdin or resource type and name.'))
    .argument('[KIND]', 'resource type')
    .argument('[NAME...]', 'resource names')
    .option('-s, --skip-not-exists', 'Skip over and treat as successful any attempts to delete an entry that does not exist.')
    .action(async (kind: string | undefined, names: string[], _opts: Opts, self: Command) => {
      const o = self.optsWithGlobals();
      await runDelete(context(self), kind, names, { ...fileFlags(o), skipNotExists: bool(o.skipNotExists) });
    });

  fileOptions(program.command('get').description('Get a resource identified by file, directory, stdin or resource type and name.'))
    .argument('[KIND]', 'resource type')
    .argument('[NAME...]', 'resource names')
    .option('-o, --output <output>', 'Output format. One of: yaml, json, ps, wide, custom-columns=..., go-template=..., go-template-file=...', 'ps')
    .option('-A, --all-namespaces', 'If present, list the requested object(s) across all namespaces.')
    .addOption(new Option('-a, --all-namespaces-a', 'Alias for --all-namespaces.').hideHelp())
    .option('--export', 'If present, returns the requested object(s) stripped of cluster-specific information.')
    .action(async (kind: string | undefined, names: string[], _opts: Opts, self: Command) => {
      const o = self.optsWithGlobals();
      await runGet(context(self), kind, names, {
        ...fileFlags(o),
        output: str(o.output),
        allNamespaces: bool(o.allNamespaces) || bool(o.allNamespacesA),
        export: bool(o.export),
      });
    });

  program
    .command('patch')
    .description('Patch a pre-existing resource in place.')
    .argument('<KIND>', 'resource type')
    .argument('<NAME>', 'resource name')
    .option('-p, --patch <patch>', 'Spec to use to patch the resource.')
    .option('-t, --type <type>', 'Format of patch type: strategic (default), json, merge (all applied as a merge patch).', 'strategic')
    .option('-c, --config <config>', 'Path to the file containing connection configuration in YAML or JSON format.', '/etc/calico/calicoctl.cfg')
    .option('-n, --namespace <namespace>', 'Namespace of the resource.')
    .action(async (kind: string, name: string, _opts: Opts, self: Command) => {
      const o = self.optsWithGlobals();
      await runPatch(context(self), kind, name, {
        patch: str(o.patch), type: str(o.type), config: str(o.config), namespace: str(o.namespace) || undefined, allowVersionMismatch: bool(o.allowVersionMismatch),
      });
    });

  program
    .command('label')
    .description('Add or update labels of resources.')
    .argument('<KIND>', 'resource type')
    .argument('<NAME>', 'resource name')
    .argument('<LABEL>', 'key=value to set, or key with --remove')
    .option('--overwrite', 'If true, overwrite the value when the key is already present in labels.')
    .option('--remove', 'If true, remove the specified key in labels of the resource.')
    .option('-c, --config <config>', 'Path to the file containing connection configuration in YAML or JSON format.', '/etc/calico/calicoctl.cfg')
    .option('-n, --namespace <namespace>', 'Namespace of the resource.')
    .action(async (kind: string, name: string, label: string, _opts: Opts, self: Command) => {
      const o = self.optsWithGlobals();
      await runLabel(context(self), kind, name, label, {
        overwrite: bool(o.overwrite), remove: bool(o.remove), config: str(o.config), namespace: str(o.namespace) || undefined, allowVersionMismatch: bool(o.allowVersionMismatch),
      });
    });

  program
    .command('version')
    .description('Display the version of this binary, and of the cluster when it can be reached.')
    .option('--client', 'Display the client version only.')
    .option('--poll <poll>', 'Poll for changes to the cluster information at a frequency specified using POLL duration (e.g. 1s, 10m, 2h etc.).')
    .option('-c, --config <config>', 'Path to the file containing connection configuration in YAML or JSON format.')
    .action(async (_opts: Opts, self: Command) => {
      const o = self.optsWithGlobals();
      await runVersion(context(self), { client: bool(o.client), poll: str(o.poll), config: str(o.config) });
    });

  // Calico commands Percale does not implement: say so plainly instead of "unknown command".
  const unsupported = (parent: Command, name: string, description: string) =>
    parent
      .command(name)
      .description(`${description} (not supported by Percale's calicoctl)`)
      .argument('[args...]')
      .allowUnknownOption()
      .helpOption(false)
      .action((args: string[], _opts: Opts, self: Command) => {
        const path: string[] = [];
        for (let c: Command | null = self; c && c.parent; c = c.parent) path.unshift(c.name());
        const sub = args.find((a) => !a.startsWith('-'));
        throw new CommandFailedError(`calicoctl ${[...path, ...(sub ? [sub] : [])].join(' ')} is not supported by Percale's calicoctl, which manages resources in the etcd datastore (create, apply, replace, delete, get, patch, label, validate, version, datastore migrate lock/unlock) and reports BGP sessions (node status)`);
      });
  unsupported(program, 'ipam', 'IP address management');
  const nodeCmd = program.command('node').description('Calico node management.');
  nodeCmd
    .command('status')
    .description('Check the status of the Calico node instance: whether Percale runs here, and its BGP sessions.')
    .option('--bird-socket <path>', 'BIRD control socket (default $PERCALE_BIRD_SOCKET or /var/run/percale/bird.ctl).')
    .action(async (_opts: Opts, self: Command) => {
      await runNodeStatus(context(self), { birdSocket: str(self.optsWithGlobals().birdSocket) });
    });
  for (const name of ['run', 'diags', 'checksystem']) unsupported(nodeCmd, name, 'Calico node management');
  unsupported(program, 'cluster', 'Access cluster information');

  const datastoreCmd = program.command('datastore').description('Calico datastore management.');
  unsupported(datastoreCmd, 'migrate-policy-names', 'Re-key pre-v3.32 default-tier policies');
  const migrate = datastoreCmd.command('migrate').description('Migrate the contents of an etcdv3 datastore.');
  unsupported(migrate, 'export', 'Export the etcd datastore for import into Kubernetes');
  unsupported(migrate, 'import', 'Import into a Kubernetes datastore');
  for (const [name, lock] of [['lock', true], ['unlock', false]] as const) {
    migrate
      .command(name)
      .description(lock ? 'Lock the datastore to prevent changes from occurring during datastore migration.' : 'Unlock the datastore to allow changes once the migration is completed.')
      .option('-c, --config <config>', 'Path to the file containing connection configuration in YAML or JSON format.', '/etc/calico/calicoctl.cfg')
      .action(async (_opts: Opts, self: Command) => {
        const o = self.optsWithGlobals();
        await runDatastoreLock(context(self), lock, { config: str(o.config), allowVersionMismatch: bool(o.allowVersionMismatch) });
      });
  }

  return program;
}

/**
 * Runs one calicoctl invocation (`argv` without the program name) and returns its
 * exit status: 0 on success, 1 on any failure. Output goes to `io`.
 */
export async function runCalicoctl(argv: readonly string[], io: CliIO): Promise<number> {
  const contexts = new Map<LogLevel, CommandContext>();
  const ctxFor = (level: LogLevel) => {
    let ctx = contexts.get(level);
    if (!ctx) {
      ctx = createContext(io, new Logger(level, (line) => io.stderr(line)), connectEtcd);
      contexts.set(level, ctx);
    }
    return ctx;
  };
  const program = buildProgram(io, ctxFor);
  try {
    if (argv.length === 0) {
      io.stdout(program.helpInformation());
      return 0;
    }
    await program.parseAsync(normaliseArgs(argv), { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its own parse errors and help.
      if (err.code === 'calicoctl.missingFile') io.stderr(`${err.message}\n`);
      return err.exitCode;
    }
    if (isCommandFailedError(err)) {
      (err.stream === 'stdout' ? io.stdout : io.stderr)(`${err.message}\n`);
      return 1;
    }
    io.stderr(`${messageOf(err)}\n`);
    return 1;
  }
}
