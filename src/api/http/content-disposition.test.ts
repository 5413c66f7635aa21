import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from './content-disposition.js';

/** The one header value Node accepts: visible ASCII, space and tab (no CR/LF, nothing past U+00FF). */
const isSendable = (value: string) => /^[\t\x20-\x7e]*$/.test(value);

describe('attachmentDisposition', () => {
  it('keeps a plain ASCII name as a quoted filename', () => {
    expect(attachmentDisposition('people 2024.csv')).toBe('attachment; filename="people 2024.csv"');
  });

  it('adds filename* (UTF-8, percent-encoded) with an ASCII fallback for other characters', () => {
    const value = attachmentDisposition('😀 données.csv');
    expect(value).toBe(
      `attachment; filename="_ donn_es.csv"; filename*=UTF-8''%F0%9F%98%80%20donn%C3%A9es.csv`,
    );
    expect(isSendable(value)).toBe(true);
  });

  it('cannot be broken by quotes, backslashes, CR/LF or percent signs', () => {
    const value = attachmentDisposition('a"b\\c\r\nSet-Cookie: x=1;%41.csv');
    expect(isSendable(value)).toBe(true);
    expect(value).toBe(
      `attachment; filename="a_b_c__Set-Cookie: x=1;_41.csv"; filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x%3D1%3B%2541.csv`,
    );
    expect(decodeURIComponent(value.split("UTF-8''")[1] ?? '')).toBe('a"b\\c\r\nSet-Cookie: x=1;%41.csv');
  });

  it("percent-encodes what RFC 8187's attr-char excludes and survives lone surrogates", () => {
    expect(attachmentDisposition("it's (1)*é.csv")).toContain(
      "filename*=UTF-8''it%27s%20%281%29%2A%C3%A9.csv",
    );
    expect(attachmentDisposition('\uD800x.csv')).toContain("UTF-8''%EF%BF%BDx.csv");
    expect(attachmentDisposition('')).toBe('attachment');
  });
});
