/** The file types the management API accepts (Torii's list), by extension, with their MIME type. */
export const allowedTypes: Record<string, string> = {
  csv: 'text/csv',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  xml: 'application/xml',
  json: 'application/json',
  zip: 'application/zip',
};

export const allowedList = Object.keys(allowedTypes)
  .map((e) => `.${e}`)
  .join(', ');

type Kind = 'pdf' | 'png' | 'jpeg' | 'zip' | 'ole' | 'xml' | 'json' | 'text' | 'binary';

/** What the first bytes say the content is (magic numbers, then text heuristics). */
export function sniffKind(head: Buffer): Kind {
  const starts = (bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts([0x25, 0x50, 0x44, 0x46])) return 'pdf';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts([0x50, 0x4b, 0x03, 0x04]) || starts([0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (starts([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'ole';
  // UTF-16 with a byte-order mark: Excel's "Unicode text" and many Windows exports.
  if (starts([0xff, 0xfe]) || starts([0xfe, 0xff])) return 'text';
  if (head.includes(0)) return 'binary';
  // `stream: true` holds back a character cut at the end of the head instead of decoding it to
  // U+FFFD, so valid UTF-8 text is not taken for binary because of where the head stops.
  const text = new TextDecoder('utf-8')
    .decode(head, { stream: true })
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.includes('\uFFFD')) return looksLikeLegacyText(head) ? 'text' : 'binary';
  if (text.startsWith('<?xml') || /^<[A-Za-z]/.test(text)) return 'xml';
  if (text.startsWith('{') || text.startsWith('[')) return 'json';
  return 'text';
}

/**
 * Not UTF-8, but plausibly 8-bit text (what Excel on Windows saves as "CSV"): no control bytes
 * besides tab, line breaks and form feed, and none of the five bytes Windows-1252 leaves undefined.
 */
function looksLikeLegacyText(head: Buffer): boolean {
  for (const b of head) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
    if (b === 0x7f || b === 0x81 || b === 0x8d || b === 0x8f || b === 0x90 || b === 0x9d) return false;
  }
  return true;
}

export type Charset = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** The character set of a text file's head: a UTF-16 BOM, valid UTF-8, else Windows-1252. */
export function charsetOf(head: Buffer): Charset {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** The MIME type of a CSV in the given charset (UTF-8 is the default and goes unsaid). */
export const csvMime = (charset: Charset) =>
  charset === 'utf-8' ? 'text/csv' : `text/csv; charset=${charset}`;

/** The charset a stored content type names (UTF-8 when it names none). */
export function charsetOfMime(mime: string): Charset {
  const named = /;\s*charset=([\w-]+)/i.exec(mime)?.[1]?.toLowerCase();
  return named === 'utf-16le' || named === 'utf-16be' || named === 'windows-1252' ? named : 'utf-8';
}

/** Which sniffed kinds each extension may carry. */
const compatible: Record<string, Kind[]> = {
  csv: ['text'],
  xls: ['ole'],
  xlsx: ['zip'],
  pdf: ['pdf'],
  doc: ['ole'],
  docx: ['zip'],
  png: ['png'],
  jpg: ['jpeg'],
  jpeg: ['jpeg'],
  xml: ['xml'],
  json: ['json'],
  zip: ['zip'],
};

/**
 * The file's type, decided by its content: the extension must be an allowed one and the bytes must
 * be what that extension claims (a PNG renamed `.csv` is refused). Returns the extension and MIME
 * type, or a problem to answer 415 with.
 */
export function checkFileType(
  name: string,
  head: Buffer,
): { ext: string; mime: string } | { problem: string } {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  if (!allowedTypes[ext])
    return { problem: `'${name}' is not an accepted file type; allowed: ${allowedList}` };
  const kind = sniffKind(head);
  if (!compatible[ext]?.includes(kind)) {
    return {
      problem: `The content of '${name}' is not ${ext.toUpperCase()} (it looks like ${kind}); allowed: ${allowedList}`,
    };
  }
  if (ext === 'csv') return { ext, mime: csvMime(charsetOf(head)) };
  return { ext, mime: allowedTypes[ext] ?? 'application/octet-stream' };
}
