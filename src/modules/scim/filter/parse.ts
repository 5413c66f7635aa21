import type { AttrPath, CompareOp, CompareValue, FilterNode } from './ast.js';
import { type SyntaxErrorType, syntaxError, type Token, tokenize } from './tokenize.js';

/** Deepest nesting of parentheses, brackets and `not` accepted. */
export const MAX_FILTER_DEPTH = 50;

const COMPARE_OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const isCompareOp = (word: string): word is CompareOp => COMPARE_OPS.has(word);
const ATTR_NAME = /^[A-Za-z$][A-Za-z0-9_$-]*$/;

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) into a tree: `and` binds tighter than `or`, keywords and
 * literals are case-insensitive, `emails[type eq "work"].value eq "x"` (Entra) becomes one valuePath.
 * Any syntax problem, an over-long or over-deep filter, is an AppError with scimType invalidFilter.
 */
export function parseFilter(text: string): FilterNode {
  const parser = new Parser(text, 'invalidFilter');
  if (parser.peek().kind === 'end') parser.fail('Empty filter');
  const node = parser.parseOr(false);
  parser.expectEnd();
  return node;
}

/**
 * Parses one attribute path (`userName`, `name.givenName`, `urn:…:enterprise:2.0:User:manager.value`).
 * Errors are invalidFilter.
 */
export function parseAttrPath(text: string): AttrPath {
  const parser = new Parser(text, 'invalidFilter');
  const path = parser.parsePath();
  parser.expectEnd();
  return path;
}

/** A PATCH operation's target: the attribute, an optional value filter, an optional sub-attribute. */
export interface PatchPath {
  path: AttrPath;
  filter?: FilterNode;
  subAttribute?: string;
}

/**
 * Parses a PATCH path (RFC 7644 §3.5.2): `name.givenName`, `members[value eq "abc"]`,
 * `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:employeeNumber`. The filter's paths are
 * relative to one element. Errors are invalidPath (the RFC's type for a malformed `path`).
 */
export function parsePatchPath(text: string): PatchPath {
  const parser = new Parser(text, 'invalidPath');
  const path = parser.parsePath();
  if (!parser.accept('[')) {
    parser.expectEnd();
    return { path };
  }
  if (path.subAttribute !== undefined)
    parser.fail(`'${path.attribute}.${path.subAttribute}' cannot take a filter`);
  const filter = parser.parseOr(true);
  parser.expect(']');
  if (!parser.accept('.')) {
    parser.expectEnd();
    return { path, filter };
  }
  const subAttribute = parser.parseSubAttribute();
  parser.expectEnd();
  return { path, filter, subAttribute };
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(
    text: string,
    private readonly scimType: SyntaxErrorType,
  ) {
    this.tokens = tokenize(text, scimType);
  }

  fail(message: string): never {
    throw syntaxError(this.scimType, message);
  }

  peek(): Token {
    return (
      this.tokens[this.index] ?? this.tokens[this.tokens.length - 1] ?? { kind: 'end', text: '', pos: 0 }
    );
  }

  next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  unexpected(token: Token, wanted: string): never {
    if (token.kind === 'end')
      return this.fail(`Unexpected end of filter at position ${token.pos}: expected ${wanted}`);
    return this.fail(`Unexpected token '${token.text}' at position ${token.pos}: expected ${wanted}`);
  }

  accept(kind: Token['kind']): boolean {
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  expect(kind: Token['kind']): void {
    if (!this.accept(kind)) this.unexpected(this.peek(), `'${kind}'`);
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') this.unexpected(token, "'and', 'or' or the end of the filter");
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.toLowerCase() === word;
  }

  private enter(): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH)
      this.fail(`Filter is nested too deeply: at most ${MAX_FILTER_DEPTH} levels`);
  }

  /** orExpr := andExpr ('or' andExpr)*; `inBracket` forbids nested value paths. */
  parseOr(inBracket: boolean): FilterNode {
    let left = this.parseAnd(inBracket);
    while (this.isKeyword('or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd(inBracket) };
    }
    return left;
  }

  private parseAnd(inBracket: boolean): FilterNode {
    let left = this.parseTerm(inBracket);
    while (this.isKeyword('and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseTerm(inBracket) };
    }
    return left;
  }

  private parseTerm(inBracket: boolean): FilterNode {
    const token = this.peek();
    if (token.kind === '(') {
      this.next();
      return this.nested(inBracket);
    }
    if (this.isKeyword('not') && this.tokens[this.index + 1]?.kind === '(') {
      this.next();
      this.next();
      return { kind: 'not', filter: this.nested(inBracket) };
    }
    if (token.kind !== 'word') return this.unexpected(token, 'an attribute, "(" or "not"');
    const path = this.parsePath();
    if (this.peek().kind !== '[') return this.parseComparison(path);
    if (inBracket) this.fail(`Nested value filter at position ${this.peek().pos} is not allowed`);
    if (path.subAttribute !== undefined)
      this.fail(
        `'${path.attribute}.${path.subAttribute}' cannot take a value filter at position ${this.peek().pos}`,
      );
    this.next();
    this.enter();
    const inner = this.parseOr(true);
    this.expect(']');
    this.depth--;
    if (!this.accept('.')) return { kind: 'valuePath', path, filter: inner };
    // Entra: emails[type eq "work"].value eq "x" → the same element must satisfy both.
    const sub = this.parseComparison({ attribute: this.parseSubAttribute() });
    return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: sub } };
  }

  private nested(inBracket: boolean): FilterNode {
    this.enter();
    const node = this.parseOr(inBracket);
    this.expect(')');
    this.depth--;
    return node;
  }

  private parseComparison(path: AttrPath): FilterNode {
    const token = this.next();
    const op = token.kind === 'word' ? token.text.toLowerCase() : '';
    if (op === 'pr') return { kind: 'present', path };
    if (!isCompareOp(op))
      return this.unexpected(token, 'an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)');
    return { kind: 'compare', path, op, value: this.parseValue() };
  }

  private parseValue(): CompareValue {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    return this.unexpected(token, 'a value (a "string", a number, true, false or null)');
  }

  /** attrPath := [URN ":"] ATTRNAME ["." subAttr]; the URN is everything before the last ':'. */
  parsePath(): AttrPath {
    const token = this.next();
    if (token.kind !== 'word') return this.unexpected(token, 'an attribute name');
    let rest = token.text;
    let schema: string | undefined;
    if (/^urn:/i.test(rest)) {
      const cut = rest.lastIndexOf(':');
      schema = rest.slice(0, cut);
      rest = rest.slice(cut + 1);
    }
    const parts = rest.split('.');
    const [attribute, subAttribute] = parts;
    const valid = parts.length <= 2 && parts.every((part) => ATTR_NAME.test(part));
    if (!valid || attribute === undefined)
      return this.fail(`Invalid attribute path '${token.text}' at position ${token.pos}`);
    return { schema, attribute, subAttribute };
  }

  parseSubAttribute(): string {
    const token = this.next();
    if (token.kind !== 'word' || !ATTR_NAME.test(token.text))
      return this.unexpected(token, 'a sub-attribute name');
    return token.text;
  }
}
