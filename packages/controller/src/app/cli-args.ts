/**
 * Command lines of the controller's two programs, oslo style: `percale neutron-controller
 * [--config-file F]... [--config-dir D]...` and `percale neutron-resync [--config-file F]...
 * [--network ID]... [--subnet ID]... [--port ID]... [--security-group ID]...
 * [--include-sgs-for-ports] [-o PATH]` (networking-calico's `calico-resync`).
 * @module
 */
import { fullScope, type ResyncScope } from '../sync/resync-result.ts';

/** The default configuration file, as for neutron-server. */
export const DEFAULT_CONFIG_FILE = '/etc/neutron/neutron.conf';

/** A command line that cannot be run (exit status 2). */
export class UsageError extends Error {
  readonly code = 'CONTROLLER_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ControllerArgs {
  command: 'neutron-controller';
  configFiles: string[];
  configDirs: string[];
}

export interface ResyncArgs {
  command: 'neutron-resync';
  configFiles: string[];
  configDirs: string[];
  scope: ResyncScope;
  /** Where to write the JSON summary as well as stdout (`-o`). */
  output?: string;
}

export type ParsedArgs = ControllerArgs | ResyncArgs | { command: 'help'; text: string };

export const CONTROLLER_USAGE = `Usage: percale neutron-controller [--config-file FILE]... [--config-dir DIR]...

Runs beside neutron-server: keeps this region's namespace in etcd equal to Neutron and reports
compute-host status back to Neutron. Default configuration: ${DEFAULT_CONFIG_FILE}.
`;

export const RESYNC_USAGE = `Usage: percale neutron-resync [--config-file FILE]... [--config-dir DIR]...
                             [--network ID]... [--subnet ID]... [--port ID]...
                             [--security-group ID]... [--include-sgs-for-ports] [-o PATH]

Runs one resync of Neutron into etcd and prints its JSON summary. Without scope options it
covers everything. Exit status: 0 ok, 1 the resync failed, 2 bad usage or configuration.
`;

/**
 * Parses `argv` (after the program name, starting with the command).
 * @throws {UsageError}
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (command !== 'neutron-controller' && command !== 'neutron-resync') {
    throw new UsageError(`Unknown command "${command ?? ''}": expected neutron-controller or neutron-resync`);
  }
  const resync = command === 'neutron-resync';
  const configFiles: string[] = [];
  const configDirs: string[] = [];
  const scope = fullScope();
  let output: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = rest[++i];
      if (v === undefined || v === '') throw new UsageError(`Option ${name} needs a value`);
      return v;
    };
    switch (name) {
      case '-h':
      case '--help':
        return { command: 'help', text: resync ? RESYNC_USAGE : CONTROLLER_USAGE };
      case '--config-file':
        configFiles.push(value());
        continue;
      case '--config-dir':
        configDirs.push(value());
        continue;
      default:
    }
    if (!resync) throw new UsageError(`Unknown option "${arg}" for neutron-controller`);
    switch (name) {
      case '--network':
        scope.networks.push(value());
        break;
      case '--subnet':
        scope.subnets.push(value());
        break;
      case '--port':
        scope.ports.push(value());
        break;
      case '--security-group':
        scope.security_groups.push(value());
        break;
      case '--include-sgs-for-ports':
        if (eq > 0) throw new UsageError('Option --include-sgs-for-ports takes no value');
        scope.include_sgs_for_ports = true;
        break;
      case '-o':
      case '--output':
        output = value();
        break;
      default:
        throw new UsageError(`Unknown option "${arg}" for neutron-resync`);
    }
  }
  if (configFiles.length === 0 && configDirs.length === 0) configFiles.push(DEFAULT_CONFIG_FILE);
  if (!resync) return { command, configFiles, configDirs };
  return { command, configFiles, configDirs, scope, ...(output !== undefined && { output }) };
}
