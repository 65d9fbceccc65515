/**
 * Value types of the agent's configuration parameters: each turns Felix's raw string
 * (from felix.cfg, `FELIX_*` or a FelixConfiguration) into a typed value, with the
 * acceptance rules of Felix's `config/param_types.go`, or says why it cannot.
 * @module
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';

/** A parameter's value type: how to parse it, its zero value (`none`) and a schema line for docs. */
export interface ParamType<T> {
  /** Returns the value, or a string explaining why `raw` is not acceptable. */
  parse(raw: string): { ok: true; value: T } | { ok: false; reason: string };
  readonly zero: T;
  readonly schema: string;
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (reason: string) => ({ ok: false as const, reason });

/** Felix's boolean spellings, case-insensitive. */
export function bool(): ParamType<boolean> {
  return {
    zero: false,
    schema: 'Boolean: true, 1, yes, y, t / false, 0, no, n, f',
    parse(raw) {
      const v = raw.toLowerCase();
      if (['true', '1', 'yes', 'y', 't'].includes(v)) return ok(true);
      if (['false', '0', 'no', 'n', 'f'].includes(v)) return ok(false);
      return bad('invalid boolean');
    },
  };
}

/** Go's `strconv.ParseInt(raw, 0, 64)`: decimal, `0x` hex, `0o`/`0` octal, `0b` binary, optional sign and `_` separators. */
function parseGoInt(raw: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(raw);
  if (!m) return undefined;
  let digits = m[2]!;
  if (digits.includes('_') && (digits.startsWith('_') || digits.endsWith('_') || digits.includes('__'))) return undefined;
  digits = digits.replaceAll('_', '');
  if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
  const value = BigInt(digits);
  return m[1] === '-' ? -value : value;
}

/** An integer, optionally limited to `[min, max]`. */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): ParamType<number> {
  return {
    zero: 0,
    schema: min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER ? 'Integer' : `Integer: [${min},${max}]`,
    parse(raw) {
      const v = parseGoInt(raw);
      if (v === undefined) return bad('invalid int');
      if (v < BigInt(min)) return bad(`value must be at least ${min}`);
      if (v > BigInt(max)) return bad(`value must be at most ${max}`);
      return ok(Number(v));
    },
  };
}

/** Seconds as a float (Felix's `seconds`), kept in seconds. */
export function seconds(min?: number, max?: number): ParamType<number> {
  return {
    zero: 0,
    schema: min === undefined ? 'Seconds (floating point)' : `Seconds (floating point) between ${min} and ${max}`,
    parse(raw) {
      const v = parseGoFloat(raw);
      if (v === undefined) return bad('invalid float');
      if (min !== undefined && Math.trunc(v) < min) return bad(`value must be at least ${min}`);
      if (max !== undefined && Math.trunc(v) > max) return bad(`value must be at most ${max}`);
      return ok(v);
    },
  };
}

/** Go's `strconv.ParseFloat`: decimal or hex floats, `inf`, no trailing junk; NaN is refused here. */
function parseGoFloat(raw: string): number | undefined {
  if (!/^[+-]?(\d[\d_]*(\.[\d_]*)?([eE][+-]?\d+)?|\.\d[\d_]*([eE][+-]?\d+)?|inf(inity)?)$/i.test(raw)) return undefined;
  const v = Number(raw.replaceAll('_', '').replace(/inf(inity)?$/i, 'Infinity'));
  return Number.isNaN(v) ? undefined : v;
}

/** One of a fixed set, matched case-insensitively and returned in its canonical spelling. */
export function oneOf<const O extends string>(...options: O[]): ParamType<O | ''> {
  const canon = new Map(options.map((o) => [o.toLowerCase(), o]));
  return {
    zero: '',
    schema: `One of: ${[...options].sort().map((o) => `\`${o}\``).join(', ')} (case insensitive)`,
    parse(raw) {
      const v = canon.get(raw.toLowerCase());
      return v === undefined ? bad('unknown option') : ok(v);
    },
  };
}

/** A string matching `pattern` (Felix's regexp-checked strings). */
export function matching(pattern: RegExp, message: string, schema?: string): ParamType<string> {
  return {
    zero: '',
    schema: schema ?? `String matching regex \`${pattern.source}\``,
    parse: (raw) => (pattern.test(raw) ? ok(raw) : bad(message)),
  };
}

/** Any string. */
export function string(): ParamType<string> {
  return { zero: '', schema: 'String', parse: (raw) => ok(raw) };
}

export const HOSTNAME = /^[a-zA-Z0-9_.-]+$/;
export const HOST_ADDRESS = /^[a-zA-Z0-9:._+-]{1,64}$/;
export const AUTHORITY = /^[^:/]+:\d+$/;
export const IFACE_LIST = /^[a-zA-Z0-9_-]{1,15}(,[a-zA-Z0-9_-]{1,15})*$/;
export const IFACE_PARAM = /^[a-zA-Z0-9:._+-]{1,15}$/;
export const LOG_RATE = /^([1-9]\d{0,3}\/(?:second|minute|hour|day))?$/;

/** A comma-separated list of interface name prefixes (`tap`, `cali,tap`). */
export function ifaceList(): ParamType<string[]> {
  return {
    zero: [],
    schema: `Comma-delimited list of interface name prefixes matching \`${IFACE_LIST.source}\``,
    parse: (raw) => (IFACE_LIST.test(raw) ? ok(raw.split(',')) : bad('invalid Linux interface name')),
  };
}

/** Interface names and `/regex/` patterns; names match exactly. */
export function ifaceListRegexp(): ParamType<RegExp[]> {
  return {
    zero: [],
    schema: 'Comma-delimited list of Linux interface names/regex patterns. Regex patterns must start/end with `/`.',
    parse(raw) {
      const out: RegExp[] = [];
      for (const item of raw.split(',')) {
        if (/^\/[^\s]+\/$/.test(item)) {
          try {
            out.push(new RegExp(item.slice(1, -1)));
          } catch {
            return bad('list contains invalid Linux interface name or regex pattern');
          }
        } else if (/^[a-zA-Z0-9_-]{1,15}$/.test(item)) {
          out.push(new RegExp(`^${item}$`));
        } else {
          return bad('list contains invalid Linux interface name or regex pattern');
        }
      }
      return ok(out);
    },
  };
}

/** etcd client URLs, `http(s)://host:port` or `unix:///path`, one scheme for all. */
export function endpointList(): ParamType<string[]> {
  return {
    zero: [],
    schema: 'List of HTTP endpoints: comma-delimited list of `http(s)://hostname:port` (or `unix:///path`)',
    parse(raw) {
      const out: string[] = [];
      let scheme = '';
      for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        // Percale also takes etcd's unix-socket endpoints (`unix:///abs/path.sock:0`), which reach
        // a datastore across network namespaces; they are kept as written.
        if (item.startsWith('unix://')) {
          if (scheme && scheme !== 'unix:') return bad('all endpoints must have the same scheme');
          if (!item.startsWith('unix:///') || item.length === 'unix:///'.length) return bad(`${item} must name an absolute socket path`);
          scheme = 'unix:';
          out.push(item);
          continue;
        }
        let u: URL;
        try {
          u = new URL(item);
        } catch {
          return bad(`${item} is not a valid URL`);
        }
        if (scheme && u.protocol !== scheme) return bad('all endpoints must have the same scheme');
        scheme = u.protocol;
        if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || !u.host) {
          return bad('endpoint contained unsupported URL part; expected http(s)://hostname:port only.');
        }
        out.push(`${u.protocol}//${u.host}`);
      }
      return ok(out);
    },
  };
}

/** A file path; with `mustExist`, the file has to be there at start-up. */
export function file(mustExist: boolean): ParamType<string> {
  return {
    zero: '',
    schema: mustExist ? 'Path to file, which must exist' : 'Path to file',
    parse: (raw) => (mustExist && !existsSync(raw) ? bad('failed to access file') : ok(raw)),
  };
}

/** An IP address of one family. */
export function ip(family: 4 | 6): ParamType<string> {
  return {
    zero: '',
    schema: `IPv${family} address`,
    parse: (raw) => (isIP(raw) === family ? ok(raw) : bad(`invalid IPv${family} address`)),
  };
}

/** A 32-bit mark mask with at least two bits set. */
export function markBitmask(): ParamType<number> {
  return {
    zero: 0,
    schema: '32-bit bitmask (hex or decimal allowed) with at least 2 bits set, example: `0xffff0000`',
    parse(raw) {
      const v = parseGoInt(raw);
      if (v === undefined || v < 0n || v > 0xffffffffn) return bad('invalid mark: should be 32-bit int');
      const bits = v.toString(2).replaceAll('0', '').length;
      return bits < 2 ? bad('invalid mark: needs to have 2 bits set') : ok(Number(v));
    },
  };
}

/** Longest region name: the namespace `openstack-region-<region>` must stay a 63-character DNS label. */
export const MAX_REGION_LENGTH = 63 - 'openstack-region-'.length;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An OpenStack region name: a DNS-1123 label of at most 46 characters. */
export function region(): ParamType<string> {
  return {
    zero: '',
    schema: `OpenStack region name: lower-case alphanumerics and '-', starting and ending alphanumeric, at most ${MAX_REGION_LENGTH} characters`,
    parse(raw) {
      if (raw.length > MAX_REGION_LENGTH) return bad(`must be ${MAX_REGION_LENGTH} characters or fewer (it has ${raw.length})`);
      if (!DNS_LABEL.test(raw)) {
        return bad("must be a valid DNS label: lower-case alphanumeric characters or '-', starting and ending with an alphanumeric character (e.g. 'region-one')");
      }
      return ok(raw);
    },
  };
}

/** `name=duration,…` (HealthTimeoutOverrides); durations in Go syntax (`30s`, `1m30s`), kept in seconds. */
export function keyDurationList(): ParamType<Record<string, number>> {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  return {
    zero: {},
    schema: 'Comma-delimited list of `<name>=<duration>`, e.g. `InternalDataplaneMainLoop=30s`',
    parse(raw) {
      const out: Record<string, number> = {};
      for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(item);
        if (!m) return bad(`"${item}" is not name=duration`);
        const parts = [...m[2]!.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
        if (parts.length === 0 || parts.map((p) => p[0]).join('') !== m[2]) return bad(`"${m[2]}" is not a duration`);
        out[m[1]!] = parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
      }
      return ok(out);
    },
  };
}
