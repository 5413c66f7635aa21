import { mulberry32 } from '../../src/modules/demo/random.js';

type Schema = Record<string, unknown>;

/** Values that break naive handlers: wrong types, extremes, odd text. */
const HOSTILE: unknown[] = [
  null,
  '',
  ' ',
  'x'.repeat(5000),
  -1,
  0,
  1e308,
  -1e308,
  2 ** 53 + 1,
  1.5,
  true,
  'true',
  'null',
  [],
  {},
  [null],
  { nested: { deeper: [1, 'two', null] } },
  '2026-02-30',
  '2026-13-01T25:61:00Z',
  'not-a-date',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' or 1=1 --",
  '%',
  '_',
  '\ud800',
  '😀'.repeat(40),
  'a@b',
  '   padded   ',
  '0x10',
  '1e3',
  'NaN',
  '-0',
];

/**
 * Random request parts from JSON Schemas (as the OpenAPI document states them): mostly valid
 * shapes with valid-looking values, some fields left out or added, and now and then a hostile
 * value in place of any part. Ids seen in earlier responses are reused, so requests reach existing
 * records, not only 404s. Seeded: the same sequence on every run.
 */
export function schemaFuzzer(seed: number, components: Record<string, Schema>) {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const ids: string[] = [];

  function resolve(schema: Schema): Schema {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    return components[ref.replace(/^#\/components\/schemas\//, '')] ?? {};
  }

  /** Ids seen in answers, by the collection (path template) that answered them. */
  const byCollection = new Map<string, string[]>();

  /**
   * A path parameter: mostly an id the parameter's own collection answered before (`/apps` for
   * `/apps/{idApp}`), else any id seen, else generated text.
   */
  function pathValue(template: string, name: string, schema: Schema): string {
    const own = byCollection.get(template.slice(0, template.indexOf(`/{${name}}`)));
    if (own && own.length > 0 && random() < 0.7) return pick(own);
    return text(schema, 0.5);
  }

  /** A string for the schema; `idShare` of them are ids seen before. */
  function text(schema: Schema, idShare = 0.3): string {
    if (ids.length > 0 && random() < idShare) return pick(ids);
    const format = schema.format;
    if (format === 'date-time') return new Date(Date.UTC(2020 + int(10), int(12), 1 + int(28))).toISOString();
    if (format === 'date')
      return new Date(Date.UTC(2020 + int(10), int(12), 1 + int(28))).toISOString().slice(0, 10);
    if (format === 'email') return `fuzz${int(1000)}@example.com`;
    if (format === 'uri')
      return pick(['https://example.com/x', 'http://127.0.0.1:1/', 'ftp://x', 'https://10.0.0.1/']);
    const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const max = typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, 40) : 12;
    const length = Math.max(min, Math.min(max, min + int(8)));
    return Array.from({ length }, () => pick([...'abcdefghijklmnopqrstuvwxyz0123456789 -_.@éß'])).join('');
  }

  function value(input: Schema, depth = 0): unknown {
    if (random() < 0.06) return pick(HOSTILE);
    const schema = resolve(input);
    if (Array.isArray(schema.enum) && schema.enum.length > 0)
      return random() < 0.9 ? pick(schema.enum) : text({});
    if ('const' in schema) return schema.const;
    const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (Array.isArray(options) && options.length > 0) return value(pick(options), depth);
    const type = Array.isArray(schema.type) ? pick(schema.type as string[]) : schema.type;
    switch (type) {
      case 'string':
        return text(schema);
      case 'integer':
      case 'number': {
        const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
        const max = typeof schema.maximum === 'number' ? schema.maximum : min + 1000;
        const n = min + random() * Math.min(max - min, 1e6);
        return type === 'integer' ? Math.floor(n) : Math.round(n * 100) / 100;
      }
      case 'boolean':
        return random() < 0.5;
      case 'null':
        return null;
      case 'array': {
        if (depth > 4) return [];
        const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
        return Array.from({ length: min + int(3) }, () => value((schema.items as Schema) ?? {}, depth + 1));
      }
      case 'object':
        return object(schema, depth);
      default:
        return schema.properties ? object(schema, depth) : pick(['x', 1, true, null, {}, []]);
    }
  }

  function object(schema: Schema, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (depth > 4) return out;
    const required = new Set((schema.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) {
      if (required.has(name) ? random() < 0.95 : random() < 0.5) out[name] = value(property, depth + 1);
    }
    if (random() < 0.05) out[`extra${int(10)}`] = pick(HOSTILE);
    return out;
  }

  /**
   * Remembers the ids in a response body (`id`, `…Id`, `…_id` values), to use them in later
   * requests; `template` (the answering operation's path) files the body's own ids (`id`, up to
   * a list envelope's items) under its collection.
   */
  function learn(body: unknown, template = '', depth = 0): void {
    if (depth > 5 || body === null || typeof body !== 'object') return;
    for (const [key, item] of Object.entries(body)) {
      if (typeof item !== 'string' || !/^(id|.*Id|.*_id)$/.test(key) || item.length >= 100) {
        learn(item, template, depth + 1);
        continue;
      }
      remember(ids, item);
      if (key === 'id' && depth <= 3) {
        const collection = template.replace(/\/\{[^}]+\}$/, '');
        const list = byCollection.get(collection) ?? [];
        byCollection.set(collection, list);
        remember(list, item);
      }
    }
  }

  function remember(list: string[], id: string): void {
    if (list.includes(id)) return;
    list.push(id);
    if (list.length > 300) list.shift();
  }

  /** Forgets ids (the caller's own tenant and token, which must not be deleted). */
  function forget(keep: ReadonlySet<string>): void {
    for (const list of [ids, ...byCollection.values()])
      for (let i = list.length - 1; i >= 0; i--) if (keep.has(list[i] ?? '')) list.splice(i, 1);
  }

  return { value, text, pathValue, learn, forget, pick, random, int, ids };
}
