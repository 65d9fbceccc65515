/**
 * The second stage of the selector pipeline: a recursive-descent parser from Calico's tokens to
 * the syntax tree in `ast.ts`. Precedence, lowest first: `||`, `&&`, `!`; AND/OR chains become one
 * n-ary node, and a run of `!` collapses by parity.
 * @module
 */
import { toStringSet, type SelectorNode, type ValueOperator } from './ast.ts';
import { SelectorSyntaxError } from './selector-syntax-error.ts';
import { tokenize, type PlainTokenKind, type Token } from './tokenizer.ts';

/**
 * Deepest parenthesis nesting accepted. Calico has no limit, but a 1024-character selector field
 * cannot nest deeper than 512, and the limit turns a stack overflow on hostile input into a
 * syntax error.
 */
export const MAX_NESTING_DEPTH = 1000;

const ALL: SelectorNode = Object.freeze({ type: 'all' });
const GLOBAL: SelectorNode = Object.freeze({ type: 'global' });

const VALUE_OPERATORS: Partial<Record<PlainTokenKind, ValueOperator>> = {
  TokEq: 'eq',
  TokNe: 'ne',
  TokContains: 'contains',
  TokStartsWith: 'startsWith',
  TokEndsWith: 'endsWith',
};

const SPELLING: Record<PlainTokenKind, string> = {
  TokLBrace: '"{"', TokRBrace: '"}"', TokComma: '","', TokLParen: '"("', TokRParen: '")"',
  TokEq: '"=="', TokNe: '"!="', TokIn: '"in"', TokNotIn: '"not in"', TokContains: '"contains"',
  TokStartsWith: '"starts with"', TokEndsWith: '"ends with"', TokNot: '"!"', TokAnd: '"&&"',
  TokOr: '"||"', TokAll: '"all()"', TokGlobal: '"global()"', TokEOF: 'end of selector',
};

function describe(token: Token): string {
  switch (token.kind) {
    case 'TokLabel': return `label ${JSON.stringify(token.value)}`;
    case 'TokStringLiteral': return `string ${JSON.stringify(token.value)}`;
    case 'TokHas': return `"has(${token.value})"`;
    default: return SPELLING[token.kind];
  }
}

/**
 * Parses selector text into a frozen syntax tree. Empty or blank text parses to `all()`.
 * @throws {SelectorSyntaxError} naming the problem and its 0-based position.
 */
export function parseSelectorNode(text: string): SelectorNode {
  return new Parser(text).parseRoot();
}

class Parser {
  readonly #text: string;
  readonly #tokens: Token[];
  #next = 0;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
    this.#tokens = tokenize(text);
  }

  parseRoot(): SelectorNode {
    if (this.#peek().kind === 'TokEOF') return ALL;
    const node = this.#parseOr();
    const rest = this.#peek();
    if (rest.kind !== 'TokEOF') throw this.#error(rest, `unexpected ${describe(rest)} after the end of the expression`);
    return node;
  }

  #peek(): Token {
    // The token list always ends with TokEOF and the parser never consumes it.
    return this.#tokens[this.#next] as Token;
  }

  #error(at: Token, reason: string): SelectorSyntaxError {
    return new SelectorSyntaxError(this.#text, at.pos, reason);
  }

  /** "expected X" plus what was there instead, unless the selector simply ended. */
  #expected(what: string, at: Token): SelectorSyntaxError {
    return this.#error(at, at.kind === 'TokEOF' ? `expected ${what}` : `expected ${what}, found ${describe(at)}`);
  }

  #parseOr(): SelectorNode {
    const first = this.#parseAnd();
    if (this.#peek().kind !== 'TokOr') return first;
    const operands = [first];
    while (this.#peek().kind === 'TokOr') {
      this.#next++;
      operands.push(this.#parseAnd());
    }
    return Object.freeze({ type: 'or', operands: Object.freeze(operands) });
  }

  #parseAnd(): SelectorNode {
    const first = this.#parseUnary();
    if (this.#peek().kind !== 'TokAnd') return first;
    const operands = [first];
    while (this.#peek().kind === 'TokAnd') {
      this.#next++;
      operands.push(this.#parseUnary());
    }
    return Object.freeze({ type: 'and', operands: Object.freeze(operands) });
  }

  #parseUnary(): SelectorNode {
    let negated = false;
    while (this.#peek().kind === 'TokNot') {
      negated = !negated;
      this.#next++;
    }
    const node = this.#parsePrimary();
    return negated ? Object.freeze({ type: 'not', operand: node }) : node;
  }

  #parsePrimary(): SelectorNode {
    const token = this.#peek();
    switch (token.kind) {
      case 'TokAll':
        this.#next++;
        return ALL;
      case 'TokGlobal':
        this.#next++;
        return GLOBAL;
      case 'TokHas':
        this.#next++;
        return Object.freeze({ type: 'has', label: token.value });
      case 'TokLabel':
        this.#next++;
        return this.#parseComparison(token.value);
      case 'TokLParen': {
        if (++this.#depth > MAX_NESTING_DEPTH) throw this.#error(token, `parentheses nested deeper than ${MAX_NESTING_DEPTH}`);
        this.#next++;
        const node = this.#parseOr();
        const close = this.#peek();
        if (close.kind !== 'TokRParen') throw this.#expected('")"', close);
        this.#next++;
        this.#depth--;
        return node;
      }
      case 'TokEOF':
        throw this.#error(token, 'unexpected end of selector');
      default:
        throw this.#error(token, `unexpected ${describe(token)}`);
    }
  }

  /** After a label: an operator and its string literal or set literal. */
  #parseComparison(label: string): SelectorNode {
    const op = this.#peek();
    if (op.kind === 'TokLabel' || op.kind === 'TokStringLiteral' || op.kind === 'TokHas') {
      throw this.#expected(`operator after label ${JSON.stringify(label)}`, op);
    }
    const valueOp = VALUE_OPERATORS[op.kind];
    if (valueOp !== undefined) {
      this.#next++;
      const literal = this.#peek();
      if (literal.kind !== 'TokStringLiteral') throw this.#expected('string', literal);
      this.#next++;
      return Object.freeze({ type: valueOp, label, value: literal.value });
    }
    if (op.kind === 'TokIn' || op.kind === 'TokNotIn') {
      this.#next++;
      return Object.freeze({ type: op.kind === 'TokIn' ? 'in' : 'notIn', label, values: this.#parseSet() });
    }
    throw this.#expected(`operator after label ${JSON.stringify(label)}`, op);
  }

  /** `{ "a", "b" }`; a single trailing comma is allowed, a leading or doubled one is not. */
  #parseSet(): readonly string[] {
    const open = this.#peek();
    if (open.kind !== 'TokLBrace') throw this.#expected('set literal "{"', open);
    this.#next++;
    const values: string[] = [];
    let afterString = false;
    for (;;) {
      const element = this.#peek();
      if (element.kind !== 'TokStringLiteral') break;
      values.push(element.value);
      this.#next++;
      afterString = this.#peek().kind !== 'TokComma';
      if (afterString) break;
      this.#next++;
    }
    const close = this.#peek();
    if (close.kind !== 'TokRBrace') throw this.#expected(afterString ? '"," or "}"' : 'string or "}"', close);
    this.#next++;
    return toStringSet(values);
  }
}
