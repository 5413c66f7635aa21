import { describe, expect, it } from 'vitest';
import { charsetOf, charsetOfMime, checkFileType, sniffKind } from './sniff.js';

describe('file type sniffing', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
  it('reads magic numbers and text', () => {
    expect(sniffKind(png)).toBe('png');
    expect(sniffKind(Buffer.from('%PDF-1.7'))).toBe('pdf');
    expect(sniffKind(Buffer.from('PK\u0003\u0004rest'))).toBe('zip');
    expect(sniffKind(Buffer.from('email,name\na@b.c,A\n'))).toBe('text');
    expect(sniffKind(Buffer.from('\uFEFF{"a":1}'))).toBe('json');
    expect(sniffKind(Buffer.from('<?xml version="1.0"?>'))).toBe('xml');
  });
  it('takes UTF-8 text cut inside a character for text, invalid bytes for binary', () => {
    const cut = Buffer.from('name\nZoë');
    expect(sniffKind(cut.subarray(0, cut.length - 1))).toBe('text');
    expect(sniffKind(Buffer.from([0x61, 0xff, 0x01, 0x62]))).toBe('binary');
    expect(sniffKind(Buffer.from([0x61, 0x81, 0x62]))).toBe('binary');
  });
  it('trusts the content, not the name', () => {
    expect(checkFileType('people.csv', Buffer.from('email\na@b.c'))).toEqual({
      ext: 'csv',
      mime: 'text/csv',
    });
    expect(checkFileType('people.csv', png)).toMatchObject({
      problem: expect.stringContaining('allowed: .csv'),
    });
    expect(checkFileType('run.exe', Buffer.from('MZ'))).toMatchObject({
      problem: expect.stringContaining('not an accepted'),
    });
    expect(checkFileType('Sheet.XLSX', Buffer.from('PK\u0003\u0004'))).toMatchObject({ ext: 'xlsx' });
  });
  it('reads Windows-1252 and UTF-16 (with a byte-order mark) CSV as text, naming the charset', () => {
    const latin = Buffer.from('Email,Name\nzoe@acme.test,Zo\u00eb M\u00fcller\r\n', 'latin1');
    expect(sniffKind(latin)).toBe('text');
    expect(charsetOf(latin)).toBe('windows-1252');
    expect(checkFileType('people.csv', latin)).toEqual({
      ext: 'csv',
      mime: 'text/csv; charset=windows-1252',
    });
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('Email\nzoe@acme.test\n', 'utf16le'),
    ]);
    expect(sniffKind(utf16)).toBe('text');
    expect(checkFileType('people.csv', utf16)).toEqual({ ext: 'csv', mime: 'text/csv; charset=utf-16le' });
    expect(charsetOf(Buffer.from('Email\n'))).toBe('utf-8');
    expect(charsetOfMime('text/csv; charset=windows-1252')).toBe('windows-1252');
    expect(charsetOfMime('text/csv')).toBe('utf-8');
    // A JSON file must still be JSON: 8-bit text is only a CSV's fallback.
    expect(checkFileType('a.json', latin)).toMatchObject({ problem: expect.any(String) });
  });
});
