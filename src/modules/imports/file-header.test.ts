import { describe, expect, it } from 'vitest';
import { headerDelimiter, uniqueColumnNames } from './file-header.js';

describe('the delimiter of a CSV header line', () => {
  it('is the candidate found most often outside quotes', () => {
    expect(headerDelimiter('email;name;status\nc@acme.example;C;active\n', false)).toBe(';');
    expect(headerDelimiter('email\tname\tstatus\n', false)).toBe('\t');
    expect(headerDelimiter('email|name|status\r\n', false)).toBe('|');
    expect(headerDelimiter('email,name,status\n', false)).toBe(',');
    // Commas inside a quoted name do not count; a quoted line break does not end the line.
    expect(headerDelimiter('"last, first";"a,b,c\nd";email\n', false)).toBe(';');
  });

  it('a comma wins ties; a header of one column is comma-separated', () => {
    expect(headerDelimiter('a,b;c\n', false)).toBe(',');
    expect(headerDelimiter('Email\n', false)).toBe(',');
    expect(headerDelimiter('', true)).toBe(',');
  });

  it('skips a byte-order mark and leading blank lines; waits for the whole line', () => {
    expect(headerDelimiter('\uFEFF\r\n\r\nemail;name\r\n', false)).toBe(';');
    expect(headerDelimiter('email;name;sta', false)).toBeUndefined();
    expect(headerDelimiter('"a,b\n', false)).toBeUndefined();
    expect(headerDelimiter('email;name;status', true)).toBe(';');
  });
});

describe('unique column names', () => {
  it('numbers a repeated name from 2, skipping names the header already has', () => {
    expect(uniqueColumnNames(['email', 'email', 'name'])).toEqual(['email', 'email (2)', 'name']);
    expect(uniqueColumnNames(['email', 'email (2)', 'email'])).toEqual(['email', 'email (2)', 'email (3)']);
    expect(uniqueColumnNames(['a', 'a', 'a (2)'])).toEqual(['a', 'a (3)', 'a (2)']);
    expect(uniqueColumnNames(['', '', 'x'])).toEqual(['', '', 'x']);
  });
});
