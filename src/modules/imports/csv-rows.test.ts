import { describe, expect, it } from 'vitest';
import { CsvError, csvRows, MAX_ROW_CHARS, textPieces } from './csv-rows.js';

async function* piecesOf(text: string, cuts: number[]): AsyncGenerator<string> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut > at) yield text.slice(at, cut);
    at = Math.max(at, cut);
  }
  if (at < text.length) yield text.slice(at);
}

async function rowsOf(text: string, cuts: number[] = []): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const batch of csvRows(piecesOf(text, cuts))) rows.push(...batch);
  return rows;
}

async function errorOf(text: string, cuts: number[] = []): Promise<string> {
  try {
    await rowsOf(text, cuts);
  } catch (error) {
    expect(error).toBeInstanceOf(CsvError);
    return (error as Error).message;
  }
  throw new Error('expected a CsvError');
}

/** A small seeded generator (mulberry32): the same cases on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quoted = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);

describe('csvRows', () => {
  it('reads quoted fields with commas, line breaks and doubled quotes; skips empty lines', async () => {
    const text = 'Email,Name\r\na@x.co,"Doe, Jane"\r\n\r\nb@x.co,"two\r\nlines ""quoted"""\r\nc@x.co,';
    expect(await rowsOf(text)).toEqual([
      ['Email', 'Name'],
      ['a@x.co', 'Doe, Jane'],
      ['b@x.co', 'two\r\nlines "quoted"'],
      ['c@x.co', ''],
    ]);
  });

  it('takes \\n, \\r\\n and \\r line breaks, with or without a last one', async () => {
    for (const lineBreak of ['\n', '\r\n', '\r'])
      for (const end of ['', lineBreak])
        expect(await rowsOf(['a,b', '1,2', '3,"4"'].join(lineBreak) + end)).toEqual([
          ['a', 'b'],
          ['1', '2'],
          ['3', '4'],
        ]);
    expect(await rowsOf('only,one,row')).toEqual([['only', 'one', 'row']]);
    expect(await rowsOf('')).toEqual([]);
  });

  it('reads the same rows however the text is cut into pieces', async () => {
    const next = random(7);
    const alphabet = ['a', 'é', '😀', ' ', ',', '"', '\n', '\r', '\r\n', 'x'];
    for (let round = 0; round < 300; round++) {
      const width = 1 + Math.floor(next() * 4);
      const table = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
        Array.from({ length: width }, () =>
          Array.from(
            { length: Math.floor(next() * 5) },
            () => alphabet[Math.floor(next() * alphabet.length)],
          ).join(''),
        ),
      ).filter((row) => !(row.length === 1 && row[0] === '')); // an empty line is skipped
      const lineBreak = ['\n', '\r\n', '\r'][Math.floor(next() * 3)] as string;
      const text =
        table.map((row) => row.map(quoted).join(',')).join(lineBreak) + (next() < 0.5 ? lineBreak : '');
      const cuts = Array.from({ length: Math.floor(next() * 8) }, () => Math.floor(next() * text.length));
      expect(await rowsOf(text, cuts), JSON.stringify({ text, cuts })).toEqual(table);
    }
    // Every single cut of a text with quoted line breaks, and one piece per character.
    const text = 'h1,h2\r\n"a\r\nb",c\r\nd,"e"""\r\n';
    const expected = [
      ['h1', 'h2'],
      ['a\r\nb', 'c'],
      ['d', 'e"'],
    ];
    for (let cut = 0; cut <= text.length; cut++) expect(await rowsOf(text, [cut])).toEqual(expected);
    expect(
      await rowsOf(
        text,
        Array.from(text, (_, i) => i),
      ),
    ).toEqual(expected);
  });

  it('refuses a quote left open or misplaced, naming the row, wherever the pieces are cut', async () => {
    const open = 'Email,Name\na@x.co,A\n\nb@x.co,"never closed\nc@x.co,C\n';
    const misplaced = 'Email,Name\na@x.co,"A"x\nb@x.co,B\n';
    for (let cut = 0; cut <= open.length; cut++)
      expect(await errorOf(open, [cut])).toBe(
        'Quote not closed: the quoted field in row 3 has no closing quote',
      );
    for (let cut = 0; cut <= misplaced.length; cut++)
      expect(await errorOf(misplaced, [cut])).toBe(
        'Malformed quote in row 2: a closing quote must be followed by a comma or the end of the line',
      );
  });

  it('refuses a row longer than MAX_ROW_CHARS instead of reading on', async () => {
    const pieces = Array.from({ length: 80 }, (_, i) => (i === 0 ? 'a,"' : 'x'.repeat(64 * 1024)));
    const message = await errorOf(
      pieces.join(''),
      pieces.map((_, i) => i * 64 * 1024 + (i > 0 ? 3 : 0)),
    );
    expect(message).toMatch(/^Row 1 is longer than 4 MB of text/);
    expect(MAX_ROW_CHARS).toBe(4 * 1024 * 1024);
  });
});

describe('textPieces', () => {
  async function decode(chunks: Uint8Array[], charset?: 'utf-8' | 'utf-16le') {
    let text = '';
    for await (const piece of textPieces(
      (async function* () {
        yield* chunks;
      })(),
      charset,
    ))
      text += piece;
    return text;
  }

  it('drops a byte-order mark and decodes a character cut between chunks', async () => {
    const bytes = Buffer.from('\ufeffname\nJosé 😀\n', 'utf8');
    const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(await decode(chunks)).toBe('name\nJosé 😀\n');
    const utf16 = Buffer.from('\ufeffa,b\n', 'utf16le');
    expect(await decode([utf16.subarray(0, 3), utf16.subarray(3)], 'utf-16le')).toBe('a,b\n');
  });
});
