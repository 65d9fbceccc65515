/**
 * The first stage of the selector pipeline (tokenizer → parser → selector): turns selector
 * text into Calico's tokens. Token kinds carry Calico's names (`TokLabel`, `TokEq`, …) so the
 * conformance vectors can be compared directly.
 * @module
 */
import { SelectorSyntaxError } from './selector-syntax-error.ts';

/** Longest label name the language accepts, in bytes (label names are ASCII, so also characters). */
export const MAX_LABEL_LENGTH = 512;

/** Kinds of token that carry text: a label name, a string literal's content, or `has(label)`'s label. */
export type ValueTokenKind = 'TokLabel' | 'TokStringLiteral' | 'TokHas';

/** Kinds of token that are fully described by their kind. */
export type PlainTokenKind =
  | 'TokLBrace' | 'TokRBrace' | 'TokComma' | 'TokLParen' | 'TokRParen'
  | 'TokEq' | 'TokNe' | 'TokIn' | 'TokNotIn' | 'TokContains' | 'TokStartsWith' | 'TokEndsWith'
  | 'TokNot' | 'TokAnd' | 'TokOr' | 'TokAll' | 'TokGlobal' | 'TokEOF';

/** Every token kind, spelled as Calico's Go constants. */
export type TokenKind = ValueTokenKind | PlainTokenKind;

/** One token; `pos` is the 0-based offset of its first character (the input length for `TokEOF`). */
export type Token =
  | { readonly kind: ValueTokenKind; readonly value: string; readonly pos: number }
  | { readonly kind: PlainTokenKind; readonly pos: number };

// Identifier characters: a-z A-Z 0-9 _ . / - (ASCII only).
const IDENT = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  IDENT[c] = /[a-zA-Z0-9_./-]/.test(ch) ? 1 : 0;
}

function isIdentChar(c: number): boolean {
  return c < 128 && IDENT[c] === 1;
}

const SPACE = 0x20;
const TAB = 0x09;

/** Only spaces and tabs separate tokens: newlines and other whitespace are errors, as in Calico. */
function skipBlanks(text: string, i: number): number {
  let c = text.charCodeAt(i);
  while (c === SPACE || c === TAB) c = text.charCodeAt(++i);
  return i;
}

function identifierEnd(text: string, i: number): number {
  while (i < text.length && isIdentChar(text.charCodeAt(i))) i++;
  return i;
}

function atWordBoundary(text: string, i: number): boolean {
  return i >= text.length || !isIdentChar(text.charCodeAt(i));
}

/**
 * Matches an operator at `i`. Blanks, or nothing, may separate the words of a multi-word
 * operator (`starts with`, `startswith`). Only the last word needs a word boundary; as in
 * Calico, a multi-word operator looks for it after the blanks that follow, a single word
 * right after itself (so `b in c` tokenizes but `b not in c` does not; neither parses).
 * Returns the end offset, or -1.
 */
function matchOperator(text: string, i: number, words: readonly string[]): number {
  let j = i;
  for (const word of words) {
    if (!text.startsWith(word, j)) return -1;
    j += word.length;
    if (words.length > 1) j = skipBlanks(text, j);
  }
  return atWordBoundary(text, j) ? j : -1;
}

// Tried in this order right after a label; `not in` must come before `in`.
const OPERATORS: readonly { readonly kind: PlainTokenKind; readonly words: readonly string[] }[] = [
  { kind: 'TokContains', words: ['contains'] },
  { kind: 'TokStartsWith', words: ['starts', 'with'] },
  { kind: 'TokEndsWith', words: ['ends', 'with'] },
  { kind: 'TokNotIn', words: ['not', 'in'] },
  { kind: 'TokIn', words: ['in'] },
];

/** The operator at `i` (right after a label), or undefined if none starts there. */
function operatorAt(text: string, i: number): { kind: PlainTokenKind; end: number } | undefined {
  for (const op of OPERATORS) {
    const end = matchOperator(text, i, op.words);
    if (end >= 0) return { kind: op.kind, end };
  }
  return undefined;
}

function describeChar(text: string, i: number): string {
  return JSON.stringify(String.fromCodePoint(text.codePointAt(i) ?? 0));
}

/** True if `name` is a label name the selector language can spell (1–512 identifier characters). */
export function isValidLabelName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_LABEL_LENGTH && identifierEnd(name, 0) === name.length;
}

/**
 * Splits selector text into tokens, ending with `TokEOF`.
 * @throws {SelectorSyntaxError} on text no selector can contain (unterminated string, single
 *   `=`/`&`/`|`, a label without an operator after it, malformed `has(`/`all(`/`global(`, …).
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const error = (pos: number, reason: string) => new SelectorSyntaxError(text, pos, reason);
  const n = text.length;
  let previousLabel: string | undefined; // set while the last token is a label
  let i = 0;
  for (;;) {
    i = skipBlanks(text, i);
    if (i >= n) {
      tokens.push({ kind: 'TokEOF', pos: n });
      return tokens;
    }
    const pos = i;
    const c = text.charCodeAt(i);
    let token: Token;
    switch (c) {
      case 0x28: token = { kind: 'TokLParen', pos }; i++; break;
      case 0x29: token = { kind: 'TokRParen', pos }; i++; break;
      case 0x7b: token = { kind: 'TokLBrace', pos }; i++; break;
      case 0x7d: token = { kind: 'TokRBrace', pos }; i++; break;
      case 0x2c: token = { kind: 'TokComma', pos }; i++; break;
      case 0x22: // "
      case 0x27: { // '
        // No escapes: the literal runs to the next occurrence of the same quote character.
        const end = text.indexOf(text[i] as string, i + 1);
        if (end < 0) throw error(pos, 'unterminated string');
        token = { kind: 'TokStringLiteral', value: text.slice(i + 1, end), pos };
        i = end + 1;
        break;
      }
      case 0x3d: // =
        if (text.charCodeAt(i + 1) !== 0x3d) throw error(pos, 'expected "==", found a single "="');
        token = { kind: 'TokEq', pos };
        i += 2;
        break;
      case 0x21: // !
        if (text.charCodeAt(i + 1) === 0x3d) {
          token = { kind: 'TokNe', pos };
          i += 2;
        } else {
          token = { kind: 'TokNot', pos };
          i++;
        }
        break;
      case 0x26: // &
        if (text.charCodeAt(i + 1) !== 0x26) throw error(pos, 'expected "&&", found a single "&"');
        token = { kind: 'TokAnd', pos };
        i += 2;
        break;
      case 0x7c: // |
        if (text.charCodeAt(i + 1) !== 0x7c) throw error(pos, 'expected "||", found a single "|"');
        token = { kind: 'TokOr', pos };
        i += 2;
        break;
      default:
        if (previousLabel !== undefined) {
          // Operator words are only operators here; anywhere else they are label names.
          const op = operatorAt(text, i);
          if (op === undefined) throw error(pos, `expected operator after label ${JSON.stringify(previousLabel)}`);
          token = { kind: op.kind, pos };
          i = op.end;
        } else if (text.startsWith('has(', i)) {
          const start = skipBlanks(text, i + 4);
          const end = identifierEnd(text, start);
          if (end === start) throw error(start, 'expected label name after "has("');
          if (end - start > MAX_LABEL_LENGTH) throw error(start, `label too long (${end - start} characters, at most ${MAX_LABEL_LENGTH} allowed)`);
          const close = skipBlanks(text, end);
          if (text.charCodeAt(close) !== 0x29) throw error(close, 'expected ")" to close "has("');
          token = { kind: 'TokHas', value: text.slice(start, end), pos };
          i = close + 1;
        } else if (text.startsWith('all(', i) || text.startsWith('global(', i)) {
          const isAll = text.charCodeAt(i) === 0x61; // a
          const close = skipBlanks(text, i + (isAll ? 4 : 7));
          if (text.charCodeAt(close) !== 0x29) throw error(close, `expected ")" to close "${isAll ? 'all' : 'global'}("`);
          token = { kind: isAll ? 'TokAll' : 'TokGlobal', pos };
          i = close + 1;
        } else {
          const end = identifierEnd(text, i);
          if (end === i) throw error(pos, `unexpected character ${describeChar(text, i)}`);
          if (end - i > MAX_LABEL_LENGTH) throw error(pos, `label too long (${end - i} characters, at most ${MAX_LABEL_LENGTH} allowed)`);
          token = { kind: 'TokLabel', value: text.slice(i, end), pos };
          i = end;
        }
    }
    tokens.push(token);
    previousLabel = token.kind === 'TokLabel' ? token.value : undefined;
  }
}
