import { AppError } from '../../platform/errors/app-error.js';

/**
 * Text the stores cannot hold faithfully is refused at the door, on both stores alike, naming where
 * it was: U+0000 (PostgreSQL's text and jsonb reject it outright) and unpaired UTF-16 surrogates
 * (`"\ud800"` in JSON: not Unicode text; jsonb rejects it, text would store U+FFFD instead).
 */
const NUL_PROBLEM = 'contains U+0000 (a NUL character), which text cannot hold';
const SURROGATE_PROBLEM = 'contains an unpaired UTF-16 surrogate, which is not Unicode text';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with a string as stored text, if anything. */
function textProblem(value: string): string | undefined {
  if (value.includes('\0')) return NUL_PROBLEM;
  if (LONE_SURROGATE.test(value)) return SURROGATE_PROBLEM;
  return undefined;
}

/** Where in a parsed JSON value a string or a key is not storable text (`emails[1].value`), and why. */
export function badTextIn(value: unknown, path = ''): { field: string; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
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
      const problem = textProblem(key);
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
  if (path.includes('%00')) return textError({ field: 'The URL path', problem: NUL_PROBLEM });
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    if (name.includes('\0')) return textError({ field: 'A query parameter name', problem: NUL_PROBLEM });
    if (value.includes('\0'))
      return textError({ field: `The query parameter '${name}'`, problem: NUL_PROBLEM });
  }
  return undefined;
}
