/**
 * A reader for oslo.config's INI dialect (neutron.conf and its friends), written to match
 * oslo_config's own line parser: `[section]` headers, `key = value` or `key: value`,
 * `#`/`;` comment lines (no inline comments), indented continuation lines, one pair of
 * surrounding quotes dropped, and every occurrence of an option kept (the last one wins for
 * single-valued options; multi-valued ones take them all).
 * @module
 */
import { ConfigError } from './config-error.ts';

/** One occurrence of an option in a file. */
export interface OsloIniValue {
  value: string;
  file: string;
  /** 1-based line of the `key = value` line. */
  line: number;
}

/**
 * A parsed file: normalised section name → option name → occurrences in file order.
 * Section names are lower-cased except `DEFAULT`, as oslo.config normalises them; option
 * names are kept as written (oslo matches them exactly).
 */
export type OsloIniFile = Map<string, Map<string, OsloIniValue[]>>;

/** oslo.config's section-name rule: `DEFAULT` stays, anything else is lower-cased. */
export function normaliseSectionName(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

/**
 * Parses the text of one oslo.config file.
 * @param file The file's path, for messages and for each value's origin.
 * @throws {ConfigError} naming the file and line of the first malformed line.
 */
export function parseOsloIni(text: string, file: string): OsloIniFile {
  const sections: OsloIniFile = new Map();
  let section: Map<string, OsloIniValue[]> | undefined;
  let pending: { key: string; parts: string[]; line: number } | undefined;

  const fail = (line: number, reason: string, content: string): never => {
    throw new ConfigError([{ file, line, reason: `${reason}: ${JSON.stringify(content)}` }]);
  };
  const flush = (): void => {
    if (!pending) return;
    // oslo rejects an assignment before the first section header.
    if (!section) fail(pending.line, 'section must be started before assignment', pending.key);
    const list = section!.get(pending.key) ?? [];
    list.push({ value: pending.parts.join('\n'), file, line: pending.line });
    section!.set(pending.key, list);
    pending = undefined;
  };

  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    // Python's rstrip() also removes the \r of CRLF files.
    const line = lines[i]!.replace(/\s+$/, '');
    if (line === '') {
      // A blank line ends a multi-line value.
      flush();
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (!pending) fail(lineNo, 'unexpected continuation line', line);
      pending!.parts.push(line.trimStart());
      continue;
    }
    flush();
    if (line[0] === '[') {
      if (!line.endsWith(']')) fail(lineNo, 'invalid section (must end with ])', line);
      if (line.length <= 2) fail(lineNo, 'empty section name', line);
      const name = normaliseSectionName(line.slice(1, -1));
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
    } else if (line[0] === '#' || line[0] === ';') {
      continue;
    } else {
      const { key, value } = splitAssignment(line, lineNo, fail);
      pending = { key, parts: [value], line: lineNo };
    }
  }
  flush();
  return sections;
}

/** `key = value` or `key: value`, whichever separator comes first; one pair of matching quotes is dropped. */
function splitAssignment(line: string, lineNo: number, fail: (line: number, reason: string, content: string) => never): { key: string; value: string } {
  const colon = line.indexOf(':');
  const equal = line.indexOf('=');
  if (colon < 0 && equal < 0) fail(lineNo, "no ':' or '=' found in assignment", line);
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
  const key = line.slice(0, at).trim();
  if (key === '') fail(lineNo, 'key cannot be empty', line);
  let value = line.slice(at + 1).trim();
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
  // oslo also strips a lone quote character ("'" → ""), since its first and last characters match.
  else if (value === '"' || value === "'") value = '';
  return { key, value };
}
