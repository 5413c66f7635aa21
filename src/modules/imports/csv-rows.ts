import Papa from 'papaparse';
import type { Charset } from '../files/sniff.js';

/** A CSV text that cannot be read: a quote left open or misplaced, a row without end. */
export class CsvError extends Error {}

/** The longest row read (in characters): one longer has surely lost its closing quote. */
export const MAX_ROW_CHARS = 4 * 1024 * 1024;

/** Bytes decoded as text in their charset, a piece a chunk (a byte-order mark is dropped). */
export async function* textPieces(
  bytes: AsyncIterable<Uint8Array>,
  charset: Charset = 'utf-8',
): AsyncGenerator<string> {
  const decoder = new TextDecoder(charset);
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

type LineBreak = '\r' | '\n' | '\r\n';

/**
 * Finds a CSV text's line break: the first one outside quotes (a quoted cell may hold others).
 * Given the text so far each time, it reads on from where it stopped; undefined while none has
 * come (at the end of the text, a last `\r` is the line break).
 */
function lineBreakFinder() {
  let at = 0;
  let quoted = false;
  return (text: string, ended: boolean): LineBreak | undefined => {
    for (; at < text.length; at++) {
      const c = text[at];
      if (c === '"') quoted = !quoted;
      else if (!quoted && c === '\n') return '\n';
      else if (!quoted && c === '\r') {
        // Its `\n` may be the first character of the next piece.
        if (at + 1 === text.length) return ended ? '\r' : undefined;
        return text[at + 1] === '\n' ? '\r\n' : '\r';
      }
    }
    return undefined;
  };
}

type ParseError = { code: string; row?: number };

function problem(error: ParseError, rowNumber: number): CsvError {
  return new CsvError(
    error.code === 'MissingQuotes'
      ? `Quote not closed: the quoted field in row ${rowNumber} has no closing quote`
      : `Malformed quote in row ${rowNumber}: a closing quote must be followed by a comma or the end of the line`,
  );
}

const tooLong = (rowNumber: number) =>
  new CsvError(
    `Row ${rowNumber} is longer than ${MAX_ROW_CHARS / 1024 / 1024} MB of text: is a quote left open?`,
  );

/**
 * The rows of a CSV text (comma-separated, `"`-quoted, RFC 4180) that arrives in pieces, as arrays
 * of cell texts, one batch a piece. papaparse's parser reads each piece; the last row of a piece,
 * which may go on in the next, is kept and read again with it. Empty lines are skipped. Row
 * numbers in errors count the rows read, the first (header) being row 1.
 */
export async function* csvRows(pieces: AsyncIterable<string>): AsyncGenerator<string[][]> {
  let carry = '';
  let lineBreak: LineBreak | undefined;
  const findLineBreak = lineBreakFinder();
  let parser: Papa.Parser | undefined;
  let rowsBefore = 0;
  const read = (text: string, last: boolean): string[][] => {
    parser ??= new Papa.Parser({ delimiter: ',', newline: lineBreak ?? '\n', quoteChar: '"' });
    const result = parser.parse(text, 0, !last) as {
      data: string[][];
      errors: ParseError[];
      meta: { cursor: number };
    };
    // Errors of the unfinished last row are not errors yet: it is read again with the next piece.
    const error = result.errors.find((e) => (e.row ?? 0) < result.data.length || last);
    const rows = result.data.filter((row) => !(row.length === 1 && row[0] === ''));
    if (error) {
      const before = result.data
        .slice(0, error.row ?? 0)
        .filter((row) => !(row.length === 1 && row[0] === ''));
      throw problem(error, rowsBefore + before.length + 1);
    }
    rowsBefore += rows.length;
    carry = last ? '' : text.slice(result.meta.cursor);
    if (carry.length > MAX_ROW_CHARS) throw tooLong(rowsBefore + 1);
    return rows;
  };
  for await (const piece of pieces) {
    const text = carry + piece;
    lineBreak ??= findLineBreak(text, false);
    if (lineBreak === undefined) {
      carry = text;
      if (carry.length > MAX_ROW_CHARS) throw tooLong(1);
      continue;
    }
    const rows = read(text, false);
    if (rows.length > 0) yield rows;
  }
  if (carry !== '') {
    lineBreak ??= findLineBreak(carry, true);
    const rows = read(carry, true);
    if (rows.length > 0) yield rows;
  }
}
