import { AppError } from '../../../platform/errors/app-error.js';

/** The scimType a syntax error carries: list filters say invalidFilter, PATCH paths invalidPath. */
export type SyntaxErrorType = 'invalidFilter' | 'invalidPath';

export type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'string'; value: string; text: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: '(' | ')' | '[' | ']' | '.'; text: string; pos: number }
  | { kind: 'end'; text: string; pos: number };

/** Longest filter accepted: longer ones are refused before any work is done. */
export const MAX_FILTER_LENGTH = 4096;

/** An AppError of the given SCIM type (`bad_request`, rendered per RFC 7644 §3.12). */
export function syntaxError(scimType: SyntaxErrorType, message: string): AppError {
  return new AppError('bad_request', message, { scimType });
}

const WORD_START = /[A-Za-z_$]/;
const WORD_CHAR = /[A-Za-z0-9_:.$-]/;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Splits a filter into tokens. Attribute paths (URNs included) are single `word` tokens; a `.` only
 * stands alone after `]` (Entra's `emails[type eq "work"].value`). Positions are 0-based offsets.
 */
export function tokenize(text: string, scimType: SyntaxErrorType): Token[] {
  const fail = (message: string): never => {
    throw syntaxError(scimType, message);
  };
  if (text.length > MAX_FILTER_LENGTH) fail(`Filter is too long: at most ${MAX_FILTER_LENGTH} characters`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']' || c === '.') {
      tokens.push({ kind: c, text: c, pos: i });
      i++;
    } else if (c === '"') {
      const [value, end] = readString(text, i, fail);
      tokens.push({ kind: 'string', value, text: text.slice(i, end), pos: i });
      i = end;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) return fail(`Invalid number at position ${i}`);
      const end = i + match[0].length;
      if (end < text.length && WORD_CHAR.test(text.charAt(end)))
        fail(`Invalid number '${text.slice(i, end + 1)}' at position ${i}`);
      tokens.push({ kind: 'number', value: Number(match[0]), text: match[0], pos: i });
      i = end;
    } else if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < text.length && WORD_CHAR.test(text.charAt(end))) end++;
      tokens.push({ kind: 'word', text: text.slice(i, end), pos: i });
      i = end;
    } else {
      fail(`Unexpected character '${c}' at position ${i}`);
    }
  }
  tokens.push({ kind: 'end', text: 'end of filter', pos: text.length });
  return tokens;
}

/**
 * Reads a JSON string literal starting at the opening quote; returns its value and the end offset.
 * U+0000, escaped or not, is refused: PostgreSQL text cannot hold it (both stores answer alike).
 */
function readString(text: string, start: number, fail: (message: string) => never): [string, number] {
  const nul = (at: number): never => fail(`A string cannot contain U+0000 (position ${at})`);
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '"') return [out, i + 1];
    if (c === '\0') return nul(i);
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = text.charAt(i + 1);
    if (e === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(`Invalid \\u escape at position ${i}`);
      const code = Number.parseInt(hex, 16);
      if (code === 0) nul(i);
      out += String.fromCharCode(code);
      i += 6;
      continue;
    }
    const escaped = ESCAPES[e];
    if (escaped === undefined) return fail(`Invalid escape '\\${e}' at position ${i}`);
    out += escaped;
    i += 2;
  }
  return fail(`Unterminated string starting at position ${start}`);
}
