import { AppError } from '../../platform/errors/app-error.js';

/**
 * U+0000 in text: PostgreSQL's text and jsonb cannot hold it (an insert fails outright), so every
 * face refuses it at the door, on both stores alike, naming where it was.
 */
const PROBLEM = 'contains U+0000 (a NUL character), which text cannot hold';

/** Where in a parsed JSON value a string or a key holds U+0000 (`emails[1].value`), if anywhere. */
export function nulPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path || 'the body' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key.includes('\0')) return `the key ${JSON.stringify(key)}${path ? ` in ${path}` : ''}`;
      const found = nulPath(item, at);
      if (found) return found;
    }
  }
  return undefined;
}

function nulError(field: string): AppError {
  return new AppError('bad_request', `${field} ${PROBLEM}`, { problems: [{ field, problem: PROBLEM }] });
}

/** Refuses a parsed JSON body holding U+0000 (only looked for when the text has a `\u0000` escape). */
export function checkJsonForNul(text: string, value: unknown): AppError | undefined {
  if (!text.includes('\\u0000')) return undefined;
  const at = nulPath(value);
  return at ? nulError(at) : undefined;
}

/** Refuses a request URL holding `%00`, naming the query parameter (or the path) it is in. */
export function checkUrlForNul(url: string): AppError | undefined {
  if (!url.includes('%00')) return undefined;
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  if (path.includes('%00')) return nulError('The URL path');
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    if (name.includes('\0')) return nulError('A query parameter name');
    if (value.includes('\0')) return nulError(`The query parameter '${name}'`);
  }
  return undefined;
}
