import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { parse } from 'yaml';

const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv2020) => Ajv2020 };
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const loaded = new Map<string, Record<string, unknown>>();

function load(file: string): Record<string, unknown> {
  let doc = loaded.get(file);
  if (!doc) {
    doc = parse(readFileSync(join(import.meta.dirname, '../../contracts', file), 'utf8')) as Record<
      string,
      unknown
    >;
    ajv.addSchema(doc, file);
    loaded.set(file, doc);
  }
  return doc;
}

function pointer(doc: unknown, path: string): unknown {
  return path
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Asserts that a response matches the contract: the operation must document the status, and the
 * body must validate against the documented schema (JSON Schema 2020-12, formats checked).
 */
export function expectContract(
  file: string,
  method: string,
  path: string,
  response: { statusCode: number; body: string },
): void {
  const doc = load(file);
  const operationPath = `#/paths/${escapePointer(path)}/${method.toLowerCase()}`;
  const operation = pointer(doc, operationPath) as { responses?: Record<string, unknown> } | undefined;
  expect(operation, `${file}: no operation ${method} ${path}`).toBeTruthy();
  const status = String(response.statusCode);
  let declared = operation?.responses?.[status] as {
    $ref?: string;
    content?: Record<string, { schema?: unknown }>;
  };
  expect(declared, `${file}: ${method} ${path} does not document status ${status}`).toBeTruthy();
  let base = `${operationPath}/responses/${status}`;
  if (declared?.$ref) {
    base = declared.$ref;
    declared = pointer(doc, declared.$ref) as typeof declared;
  }
  const media = Object.keys(declared?.content ?? {})[0];
  if (!media) {
    expect(response.body, `${method} ${path} ${status} has no documented body`).toBe('');
    return;
  }
  const validate = ajv.compile({ $ref: `${file}${base}/content/${escapePointer(media)}/schema` });
  const body = JSON.parse(response.body) as unknown;
  const valid = validate(body);
  expect(
    valid,
    `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n${response.body.slice(0, 500)}`,
  ).toBe(true);
}
