/** A lone UTF-16 surrogate: `encodeURIComponent` throws on one, so it becomes U+FFFD first. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** What `encodeURIComponent` leaves as is but RFC 8187's attr-char does not allow. */
const NOT_ATTR_CHAR = /['()*]/g;
/**
 * What the quoted `filename` fallback cannot carry: anything outside printable ASCII (CR/LF
 * included), the quote and backslash (clients disagree on quoted-pair), and `%` (some clients
 * percent-decode the fallback).
 */
const NOT_FALLBACK_CHAR = /[^\x20-\x7e]|["\\%]/gu;

/**
 * An `attachment` Content-Disposition header value for a file name (RFC 6266): the name as is in
 * `filename="…"` when it is plain printable ASCII; otherwise an ASCII fallback (other characters as
 * `_`) and the exact name in `filename*=UTF-8''…` (RFC 8187). The value is always ASCII, so any name
 * (non-Latin-1 characters, quotes, CR/LF) can be sent in a header.
 */
export function attachmentDisposition(name: string): string {
  if (name === '') return 'attachment';
  const fallback = name.replace(NOT_FALLBACK_CHAR, '_');
  if (fallback === name) return `attachment; filename="${name}"`;
  const encoded = encodeURIComponent(name.replace(LONE_SURROGATE, '\uFFFD')).replace(
    NOT_ATTR_CHAR,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
