import type { Resource } from './normalize.js';

type Obj = Record<string, unknown>;

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `urn:…:User:name.givenName` → [`urn:…:user`, `name`, `givenname`] style key paths, lower-cased. */
function keyPath(attr: string, schemaIds: string[]): string[] {
  const lc = attr.toLowerCase();
  for (const id of schemaIds) {
    const idLc = id.toLowerCase();
    if (lc === idLc) return [idLc];
    if (lc.startsWith(`${idLc}:`)) {
      const rest = lc.slice(idLc.length + 1).split('.');
      return schemaIds[0]?.toLowerCase() === idLc ? rest : [idLc, ...rest];
    }
  }
  return lc.split('.');
}

function pick(source: Obj, paths: string[][]): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(source)) {
    const lc = key.toLowerCase();
    const matching = paths.filter((p) => p[0] === lc);
    if (matching.length === 0) continue;
    if (matching.some((p) => p.length === 1)) {
      out[key] = value;
      continue;
    }
    const rest = matching.map((p) => p.slice(1));
    if (Array.isArray(value))
      out[key] = value.map((v) => (typeof v === 'object' && v ? pick(v as Obj, rest) : v));
    else if (typeof value === 'object' && value) out[key] = pick(value as Obj, rest);
  }
  return out;
}

function drop(source: Obj, paths: string[][]): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(source)) {
    const lc = key.toLowerCase();
    const matching = paths.filter((p) => p[0] === lc);
    if (matching.some((p) => p.length === 1)) continue;
    if (matching.length === 0 || typeof value !== 'object' || value === null) {
      out[key] = value;
      continue;
    }
    const rest = matching.map((p) => p.slice(1));
    out[key] = Array.isArray(value)
      ? value.map((v) => (typeof v === 'object' && v ? drop(v as Obj, rest) : v))
      : drop(value as Obj, rest);
  }
  return out;
}

/**
 * Applies `attributes` / `excludedAttributes` (RFC 7644 §3.9) to a resource: `schemas` and `id`
 * are always returned; names are case-insensitive, URN-qualified or not.
 */
export function projectResource(
  resource: Resource,
  options: { attributes?: string | undefined; excludedAttributes?: string | undefined },
  schemaIds: string[],
): Resource {
  const include = splitList(options.attributes).map((a) => keyPath(a, schemaIds));
  const exclude = splitList(options.excludedAttributes).map((a) => keyPath(a, schemaIds));
  let out: Resource = resource;
  if (include.length > 0) out = pick(resource, [...include, ['schemas'], ['id']]);
  if (exclude.length > 0)
    out = drop(
      out,
      exclude.filter((p) => !(p.length === 1 && (p[0] === 'id' || p[0] === 'schemas'))),
    );
  return out;
}
