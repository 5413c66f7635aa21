/**
 * Text the stores cannot hold faithfully: U+0000 (PostgreSQL's text and jsonb reject it outright)
 * and unpaired UTF-16 surrogates (`"\ud800"` in JSON: not Unicode text; jsonb rejects it, text
 * would store U+FFFD instead). Refused wherever text comes in, on both stores alike.
 */
export const NUL_PROBLEM = 'contains U+0000 (a NUL character), which text cannot hold';
const SURROGATE_PROBLEM = 'contains an unpaired UTF-16 surrogate, which is not Unicode text';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What makes a string unstorable, as the end of a sentence naming it (`name contains …`), if anything. */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\0')) return NUL_PROBLEM;
  if (LONE_SURROGATE.test(value)) return SURROGATE_PROBLEM;
  return undefined;
}
