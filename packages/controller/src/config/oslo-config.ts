/**
 * oslo.config's lookup rules over parsed files and the environment, as neutron-server applies
 * them: an `OS_<GROUP>__<OPTION>` environment variable beats every file, a later file beats an
 * earlier one, the last occurrence in a file wins, and `$option` / `${group.option}`
 * references are substituted when a value is read.
 * @module
 */
import { ConfigError } from './config-error.ts';
import { normaliseSectionName, type OsloIniFile } from './oslo-ini.ts';

/** A value as read, with its origin (for messages). */
export interface OsloValue {
  value: string;
  section: string;
  option: string;
  file?: string;
  line?: number;
  envVar?: string;
}

/** Substitution gives up past this depth: oslo would recurse forever on `a = $b`, `b = $a`. */
const MAX_SUBSTITUTION_DEPTH = 16;

/** Parsed configuration sources, queried option by option (unknown options are never looked at). */
export class OsloConfig {
  readonly #files: readonly OsloIniFile[];
  readonly #env: NodeJS.ProcessEnv;

  /**
   * @param files Parsed files in the order they were given (later ones win).
   * @param env Environment consulted before the files (`OS_CALICO__ETCD_HOST`, …).
   */
  constructor(files: readonly OsloIniFile[], env: NodeJS.ProcessEnv = {}) {
    this.#files = files;
    this.#env = env;
  }

  /** The environment variable oslo.config reads for an option: `OS_` + group + `__` + option, upper-cased. */
  static envVarName(section: string, option: string): string {
    return `OS_${section.toUpperCase()}__${option.toUpperCase()}`;
  }

  /** The effective value of a single-valued option, substituted; undefined when no source sets it. */
  get(section: string, option: string): OsloValue | undefined {
    const raw = this.#raw(section, option);
    return raw && { ...raw, value: this.#substitute(raw, normaliseSectionName(section), 0) };
  }

  /**
   * Every value of a multi-valued option (`MultiStrOpt`): the environment's alone if set,
   * else all occurrences across the files, earlier files first.
   */
  getAll(section: string, option: string): OsloValue[] {
    const envVar = OsloConfig.envVarName(section, option);
    const fromEnv = this.#env[envVar];
    const group = normaliseSectionName(section);
    if (fromEnv !== undefined) return [{ value: fromEnv, section, option, envVar }];
    const values: OsloValue[] = [];
    for (const file of this.#files) {
      for (const v of file.get(group)?.get(option) ?? []) {
        const raw = { value: v.value, section, option, file: v.file, line: v.line };
        values.push({ ...raw, value: this.#substitute(raw, group, 0) });
      }
    }
    return values;
  }

  #raw(section: string, option: string): OsloValue | undefined {
    const envVar = OsloConfig.envVarName(section, option);
    const fromEnv = this.#env[envVar];
    if (fromEnv !== undefined) return { value: fromEnv, section, option, envVar };
    const group = normaliseSectionName(section);
    for (let i = this.#files.length - 1; i >= 0; i--) {
      const values = this.#files[i]!.get(group)?.get(option);
      const last = values?.at(-1);
      if (last) return { value: last.value, section, option, file: last.file, line: last.line };
    }
    return undefined;
  }

  /**
   * Python `string.Template.safe_substitute` with oslo's identifier pattern: `$$` and `\$` are a
   * literal `$`; `$name` / `${name}` look in the value's own section, then `[DEFAULT]`;
   * `${group.name}` names the section; references to unset options stay as written.
   */
  #substitute(origin: OsloValue, group: string, depth: number): string {
    const text = origin.value.replaceAll('\\$', '$$$$');
    if (!text.includes('$')) return text;
    return text.replace(/\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})/gi, (match, dollar?: string, bare?: string, braced?: string) => {
      if (dollar) return '$';
      const id = (bare ?? braced)!;
      const dot = id.indexOf('.');
      const candidates: Array<[string, string]> = dot >= 0
        ? [[id.slice(0, dot), id.slice(dot + 1)]]
        : [[group, id], ['DEFAULT', id]];
      for (const [section, option] of candidates) {
        const ref = this.#raw(section, option);
        if (!ref) continue;
        if (depth >= MAX_SUBSTITUTION_DEPTH) {
          throw new ConfigError([{ ...problemOrigin(origin), reason: `substitution of ${match} does not terminate (a reference cycle?)` }]);
        }
        return this.#substitute(ref, normaliseSectionName(section), depth + 1);
      }
      return match;
    });
  }
}

/** The location fields of a problem about this value. */
export function problemOrigin(v: OsloValue): { section: string; option: string; value: string; file?: string; line?: number; envVar?: string } {
  const origin: ReturnType<typeof problemOrigin> = { section: v.section, option: v.option, value: v.value };
  if (v.file !== undefined) origin.file = v.file;
  if (v.line !== undefined) origin.line = v.line;
  if (v.envVar !== undefined) origin.envVar = v.envVar;
  return origin;
}
