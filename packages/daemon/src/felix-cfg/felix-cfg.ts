/**
 * Reads felix.cfg as Felix does (go-ini defaults, then every section flattened into one
 * map): `#`/`;` comment lines, `[section]` headers, `key = value` or `key: value`, inline
 * comments cut at the first `#` or `;`, surrounding quotes dropped, backtick and `"""`
 * quoted values, trailing-backslash continuation lines. The agent reads every parameter
 * through it and `percale bgp` its node name and etcd keys, so both see one file the same way.
 * @module
 */

/** One key as read, with where it came from (for messages). */
export interface FelixCfgEntry {
  key: string;
  value: string;
  section: string;
  line: number;
}

/** felix.cfg text that cannot be read; `line` is 1-based. */
export class FelixCfgSyntaxError extends SyntaxError {
  readonly line: number;
  constructor(line: number, reason: string) {
    super(`felix.cfg line ${line}: ${reason}`);
    this.name = 'FelixCfgSyntaxError';
    this.line = line;
  }
}

/**
 * Parses felix.cfg text into its entries, in file order (a later duplicate wins when they
 * are merged, as in Felix).
 * @throws {FelixCfgSyntaxError}
 */
export function parseFelixCfg(text: string): FelixCfgEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const entries: FelixCfgEntry[] = [];
  let section = 'DEFAULT';
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/\r$/, '').trimStart();
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    if (line[0] === '[') {
      const close = line.lastIndexOf(']');
      if (close < 0) throw new FelixCfgSyntaxError(lineNo, `unclosed section: ${line}`);
      section = line.slice(1, close);
      continue;
    }
    const { key, rest } = splitKey(line, lineNo);
    const value = readValue(rest, lines, i, lineNo);
    i = value.lastLine;
    entries.push({ key, value: value.text, section, line: lineNo });
  }
  return entries;
}

function splitKey(line: string, lineNo: number): { key: string; rest: string } {
  const quote = line.startsWith('"""') ? '"""' : line[0] === '"' ? '"' : line[0] === '`' ? '`' : '';
  if (quote) {
    const end = line.indexOf(quote, quote.length);
    if (end < 0) throw new FelixCfgSyntaxError(lineNo, `missing closing key quote: ${line}`);
    const after = line.slice(end + quote.length);
    const delim = after.search(/[=:]/);
    if (delim < 0) throw new FelixCfgSyntaxError(lineNo, `key-value delimiter not found: ${line}`);
    return { key: line.slice(quote.length, end).trim(), rest: after.slice(delim + 1) };
  }
  const delim = line.search(/[=:]/);
  if (delim < 0) throw new FelixCfgSyntaxError(lineNo, `key-value delimiter not found: ${line}`);
  return { key: line.slice(0, delim).trim(), rest: line.slice(delim + 1) };
}

function readValue(raw: string, lines: string[], index: number, lineNo: number): { text: string; lastLine: number } {
  const line = raw.trimStart();
  if (line === '') return { text: '', lastLine: index };
  const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line[0] === '`' ? '`' : '';
  if (quote) {
    const body = line.slice(quote.length);
    const end = body.lastIndexOf(quote);
    if (end >= 0) return { text: body.slice(0, end), lastLine: index };
    // Multi-line quoted value: runs to the line holding the closing quote.
    let text = `${body}\n`;
    for (let j = index + 1; j < lines.length; j++) {
      const next = `${lines[j]!.replace(/\r$/, '')}${j < lines.length - 1 ? '\n' : ''}`;
      const close = next.lastIndexOf(quote);
      if (close >= 0) return { text: text + next.slice(0, close), lastLine: j };
      text += next;
    }
    throw new FelixCfgSyntaxError(lineNo, `missing closing quote ${quote} for the value`);
  }
  let text = line.trim();
  let lastLine = index;
  if (text.endsWith('\\')) {
    text = text.slice(0, -1);
    for (let j = index + 1; j < lines.length; j++) {
      const next = lines[j]!.trim();
      lastLine = j;
      if (next === '') break;
      text += next;
      if (!text.endsWith('\\')) break;
      text = text.slice(0, -1);
    }
    return { text, lastLine };
  }
  const comment = text.search(/[#;]/);
  if (comment >= 0) text = text.slice(0, comment).trim();
  if (text.length >= 2 && (text[0] === '"' || text[0] === "'") && text.at(-1) === text[0] && text.indexOf(text[0], 1) === text.length - 1) {
    text = text.slice(1, -1);
  }
  return { text, lastLine };
}
