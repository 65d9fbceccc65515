/**
 * The BGP daemon's logger: the agent's (Felix's) text format
 * (`2026-11-21 17:00:00.123 [INFO][42] message key=value`) on stderr. Applications do not
 * import each other, so this is a small twin of packages/agent/src/logging/logger.ts.
 * @module
 */

/** A leveled, structured logger. */
export interface BgpLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Severities, lowest first; `none` turns logging off. */
export type BgpLogLevel = 'debug' | 'info' | 'warning' | 'error' | 'none';

const RANK = { debug: 1, info: 2, warn: 3, error: 4 } as const;
const LABEL = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' } as const;
const LEVEL_RANK: Record<BgpLogLevel, number> = { debug: 1, info: 2, warning: 3, error: 4, none: Infinity };

const quote = (v: string) => (/^[\w./:@%,=+-]*$/.test(v) && v !== '' ? v : JSON.stringify(v));

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Formats one line, fields sorted by name. */
export function formatBgpLogLine(level: string, msg: string, fields: Record<string, unknown>, at: Date, pid = process.pid): string {
  const extra = Object.keys(fields)
    .sort()
    .filter((k) => fields[k] !== undefined)
    .map((k) => {
      const v = fields[k];
      return ` ${k}=${quote(v instanceof Error ? v.message : typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)))}`;
    })
    .join('');
  return `${timestamp(at)} [${level}][${pid}] ${msg}${extra}\n`;
}

/** Parses a level name as operators write it (`info`, `INFO`, `warn`…). */
export function parseBgpLogLevel(text: string): BgpLogLevel | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'warn') return 'warning';
  return (['debug', 'info', 'warning', 'error', 'none'] as const).find((l) => l === t);
}

/** Creates a logger writing at `level` and above. */
export function createBgpLogger(level: BgpLogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): BgpLogger {
  const min = LEVEL_RANK[level];
  const log = (method: keyof typeof RANK, msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[method] < min) return;
    write(formatBgpLogLine(LABEL[method], msg, fields, new Date()));
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}

/** Discards everything. */
export const SILENT_BGP_LOGGER: BgpLogger = { debug() {}, info() {}, warn() {}, error() {} };
