/**
 * The controller's logger: the same line format as the agent's (Felix's
 * `2018-03-30 14:23:24.530 [INFO][3635] message key=value`, fields sorted) on stderr, with a
 * minimum severity. Structurally it is every logging seam the controller's parts take.
 * @module
 */

/** A leveled, structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Severities, lowest first. */
export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };
const LEVEL_OF = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' } as const;

const quote = (v: string) => (/^[\w./:@%,=+-]*$/.test(v) && v !== '' ? v : JSON.stringify(v));

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function fieldText(v: unknown): string {
  if (v instanceof Error) return v.message;
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

/** One log line: time, level, PID, message, then the fields sorted by name. */
export function formatLogLine(level: string, msg: string, fields: Record<string, unknown>, at: Date, pid = process.pid): string {
  const extra = Object.keys(fields)
    .sort()
    .map((k) => ` ${k}=${quote(fieldText(fields[k]))}`)
    .join('');
  return `${timestamp(at)} [${level}][${pid}] ${msg}${extra}\n`;
}

/**
 * Parses a severity name as operators write it (`debug`, `Info`, `warning`/`warn`, `error`).
 * @returns undefined for anything else.
 */
export function parseSeverity(text: string): Severity | undefined {
  const t = text.trim().toUpperCase();
  if (t === 'WARN') return 'WARNING';
  return t in RANK ? (t as Severity) : undefined;
}

/** A logger writing lines at or above `severity` to `write` (default stderr). */
export function createLogger(severity: Severity = 'INFO', write: (line: string) => void = (l) => void process.stderr.write(l)): Logger {
  const min = RANK[severity];
  const log = (method: keyof typeof LEVEL_OF) => (msg: string, fields: Record<string, unknown> = {}) => {
    const level = LEVEL_OF[method];
    if (RANK[level] >= min) write(formatLogLine(level, msg, fields, new Date()));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
