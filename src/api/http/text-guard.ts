import { AppError } from '../../platform/errors/app-error.js';
import { NUL_PROBLEM, unstorableText } from '../../platform/text/storable.js';

// Text the stores cannot hold faithfully (platform/text/storable.ts) is refused at the door, in
// every face's error format, naming where it was.

/** Where in a parsed JSON value a string or a key is not storable text (`emails[1].value`), and why. */
function badTextIn(value: unknown, path = ''): { field: string; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = unstorableText(value);
    return problem ? { field: path || 'the body', problem } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = badTextIn(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const problem = unstorableText(key);
      if (problem) return { field: `a key${path ? ` in ${path}` : ''}`, problem };
      const found = badTextIn(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

function textError(found: { field: string; problem: string }): AppError {
  return new AppError('bad_request', `${found.field} ${found.problem}`, { problems: [found] });
}

/** JSON escapes that can make such strings (`\u0000`, `\ud800`…): only then is the value walked. */
const SUSPECT_ESCAPE = /\\u(0000|[dD][89a-fA-F])/;

/** Refuses a parsed JSON body holding U+0000 or an unpaired surrogate. */
export function checkJsonText(text: string, value: unknown): AppError | undefined {
  if (!SUSPECT_ESCAPE.test(text)) return undefined;
  const found = badTextIn(value);
  return found ? textError(found) : undefined;
}

/** Refuses a request URL holding `%00`, naming the query parameter (or the path) it is in. */
export function checkUrlText(url: string): AppError | undefined {
  if (!url.includes('%00')) return undefined;
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  // Only U+0000 can come of a URL: invalid UTF-8 decodes to U+FFFD, never to a lone surrogate.
  const problem = NUL_PROBLEM;
  if (path.includes('%00')) return textError({ field: 'The URL path', problem });
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    if (name.includes('\0')) return textError({ field: 'A query parameter name', problem });
    if (value.includes('\0')) return textError({ field: `The query parameter '${name}'`, problem });
  }
  return undefined;
}
