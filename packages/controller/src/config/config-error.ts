/**
 * The controller's configuration error: neutron.conf (or an `OS_<GROUP>__<OPTION>` variable)
 * has a value the controller cannot use. Raised once with every problem found, so an operator
 * fixes them all in one pass.
 * @module
 */

/** One unusable value or unreadable line, with where it came from. */
export interface ConfigProblem {
  /** The file that holds the value (absent for environment variables and defaults). */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** The environment variable that holds the value, when it came from the environment. */
  envVar?: string;
  /** The INI section (`calico`, `DEFAULT`, …). */
  section?: string;
  option?: string;
  value?: string;
  reason: string;
}

/** `[calico] openstack_region "RegionOne" (/etc/neutron/neutron.conf line 12): must be …`, or `<file> line 3: <reason>`. */
export function describeConfigProblem(p: ConfigProblem): string {
  const where = p.section !== undefined && p.option !== undefined ? `[${p.section}] ${p.option}` : p.section !== undefined ? `[${p.section}]` : '';
  const value = p.value === undefined ? '' : ` ${JSON.stringify(p.value)}`;
  const origin = p.envVar ? `environment variable ${p.envVar}` : p.file ? (p.line ? `${p.file} line ${p.line}` : p.file) : '';
  // A problem with the file itself names just the file: `/etc/neutron/neutron.conf line 3: …`.
  const head = where || value ? `${where}${value}${origin ? ` (${origin})` : ''}` : origin;
  return head ? `${head}: ${p.reason}` : p.reason;
}

/** The controller's configuration cannot be read or has values it cannot use. */
export class ConfigError extends Error {
  readonly code = 'CONTROLLER_CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map(describeConfigProblem);
    super(lines.length === 1 ? `Invalid Neutron controller configuration: ${lines[0]}` : `Invalid Neutron controller configuration:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** True for the controller's ConfigError (also across module copies). */
export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof Error && (err as { code?: unknown }).code === 'CONTROLLER_CONFIG_INVALID';
}
