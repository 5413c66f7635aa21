import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldProblem } from '../../platform/errors/app-error.js';

// ajv-formats is CommonJS: its callable is the default export's `default` under NodeNext.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv };

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    ...options,
  });
  addFormats.default(ajv);
  return ajv;
}

// Bodies are validated as sent: no coercion, unknown fields are errors where the schema forbids them.
const bodyAjv = makeAjv({ coerceTypes: false });
// Query strings, params and headers are text: coerce to the declared types.
const textAjv = makeAjv({ coerceTypes: 'array' });

/** Fastify validator compiler: strict for bodies, coercing for the text parts of a request. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

const partNames: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Turns ajv errors into problems that name the field: `body/data/3/email`, `query.size`. */
export function validationProblems(errors: ErrorObject[], httpPart: string): FieldProblem[] {
  const part = partNames[httpPart] ?? httpPart;
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let path = e.instancePath;
    let problem = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      path = `${path}/${String(e.params.missingProperty)}`;
      problem = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      path = `${path}/${String(e.params.additionalProperty)}`;
      problem = 'is not an allowed field';
    } else if (e.keyword === 'enum') {
      problem = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const field =
      part === 'body' ? `${part}${path}` : `${part}.${path.replace(/^\//, '').replace(/\//g, '.')}`;
    const key = `${field}:${problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ field: field.replace(/\.$/, ''), problem });
  }
  return problems;
}
