import { type TObject, Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError, type FieldProblem } from '../../platform/errors/app-error.js';

const Str = (max = 500) => Type.String({ minLength: 1, maxLength: max });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.Union([Str(200), Type.Integer()], { description: 'The record id in the source system' });
const DateTime = Type.String({ format: 'date-time' });
const DateOnly = Type.String({ format: 'date' });
const Money = Type.Number({ minimum: 0, description: 'Amount in major units (e.g. 12.50)' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
const Custom = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
  {
    description: 'Custom field values by key',
  },
);
const strict = { additionalProperties: false };

/** Snapshot record schemas: the current state of each entity in the source. Published in OpenAPI. */
export const snapshotRecords = {
  users: Type.Object(
    {
      id: Id,
      email: Type.String({ format: 'email', maxLength: 320 }),
      name: Type.Optional(Str()),
      first_name: Type.Optional(Str()),
      last_name: Type.Optional(Str()),
      status: Type.Optional(
        Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('suspended')]),
      ),
      role: Type.Optional(Nullable(Str())),
      license: Type.Optional(Nullable(Str())),
      department: Type.Optional(Nullable(Str())),
      designation: Type.Optional(Nullable(Str())),
      last_used_at: Type.Optional(Type.Union([DateTime, Type.Null()])),
      custom_fields: Type.Optional(Custom),
    },
    { ...strict, $id: 'SyncUserRecord', title: 'users (snapshot)' },
  ),
  applications: Type.Object(
    {
      id: Id,
      name: Str(200),
      category: Type.Optional(Nullable(Str(200))),
      url: Type.Optional(Nullable(Type.String({ format: 'uri', maxLength: 2000 }))),
      owner_email: Type.Optional(Nullable(Type.String({ format: 'email' }))),
      description: Type.Optional(Nullable(Str(5000))),
    },
    { ...strict, $id: 'SyncApplicationRecord', title: 'applications (snapshot)' },
  ),
  contracts: Type.Object(
    {
      id: Id,
      name: Str(300),
      application: Type.Optional(Nullable(Str(200))),
      start_date: Type.Optional(Nullable(DateOnly)),
      end_date: Type.Optional(Nullable(DateOnly)),
      renewal_date: Type.Optional(Nullable(DateOnly)),
      amount: Type.Optional(Type.Union([Money, Type.Null()])),
      currency: Type.Optional(Nullable(Currency)),
      billing_period: Type.Optional(
        Type.Union([
          Type.Literal('monthly'),
          Type.Literal('quarterly'),
          Type.Literal('annual'),
          Type.Literal('one_time'),
          Type.Null(),
        ]),
      ),
      auto_renew: Type.Optional(Type.Boolean()),
      status: Type.Optional(
        Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('cancelled')]),
      ),
    },
    { ...strict, $id: 'SyncContractRecord', title: 'contracts (snapshot)' },
  ),
  transactions: Type.Object(
    {
      id: Id,
      date: DateOnly,
      amount: Type.Number({ description: 'Amount in major units; negative for refunds' }),
      currency: Currency,
      application: Type.Optional(Nullable(Str(200))),
      description: Type.Optional(Nullable(Str(2000))),
      vendor: Type.Optional(Nullable(Str(300))),
      payment_method: Type.Optional(Nullable(Str(100))),
    },
    { ...strict, $id: 'SyncTransactionRecord', title: 'transactions' },
  ),
  groups: Type.Object(
    { id: Id, name: Str(300), description: Type.Optional(Nullable(Str(2000))) },
    { ...strict, $id: 'SyncGroupRecord', title: 'groups (snapshot)' },
  ),
  group_users: Type.Object(
    { group_id: Id, user_id: Id },
    {
      ...strict,
      $id: 'SyncGroupUserRecord',
      title: 'group_users (snapshot): user_id is a users.id of this sync',
    },
  ),
  roles: Type.Object(
    { id: Id, name: Str(300), description: Type.Optional(Nullable(Str(2000))) },
    { ...strict, $id: 'SyncRoleRecord', title: 'roles (snapshot)' },
  ),
  activities: Type.Object(
    {
      id: Type.Optional(Id),
      user_id: Type.Optional(Id),
      email: Type.Optional(Type.String({ format: 'email' })),
      timestamp: DateTime,
      activity_type: Str(100),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { ...strict, $id: 'SyncActivityRecord', title: 'activities: user_id (a users.id) or email' },
  ),
} satisfies Record<string, TObject>;

/** Fact record schemas: events appended to the timeline, each with its own identity. */
export const factRecords = {
  activities: snapshotRecords.activities,
  transactions: snapshotRecords.transactions,
} satisfies Record<string, TObject>;

export type SnapshotEntity = keyof typeof snapshotRecords;
export type FactEntity = keyof typeof factRecords;
export const snapshotEntities = Object.keys(snapshotRecords) as SnapshotEntity[];
export const factEntities = Object.keys(factRecords) as FactEntity[];

/** Order in which finish applies entities, so references resolve (users before group_users...). */
export const applyOrder: SnapshotEntity[] = [
  'applications',
  'users',
  'roles',
  'groups',
  'group_users',
  'contracts',
  'transactions',
  'activities',
];

const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv };
// verbose: errors carry their schema, so enum-like unions can list their values (allowedValues).
const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  strict: false,
  coerceTypes: false,
  removeAdditional: false,
});
addFormats.default(ajv);
/** Each entity's validator, compiled when first needed (all of them took ~0.1 s at every start). */
const validators = new Map<SnapshotEntity, ValidateFunction>();
function validatorOf(entity: SnapshotEntity): ValidateFunction | undefined {
  if (!Object.hasOwn(snapshotRecords, entity)) return undefined;
  let validate = validators.get(entity);
  if (!validate) {
    validate = ajv.compile(snapshotRecords[entity]);
    validators.set(entity, validate);
  }
  return validate;
}

/**
 * The values a field allows when its schema is a list of constants (an enum, or a union of
 * literals, possibly nullable), from its errors: "active, inactive, suspended" or "… or null".
 * Undefined when the field's errors are of another kind (a type, a format, a length).
 */
function allowedValues(errors: ErrorObject[], path: string): string | undefined {
  const values = new Set<unknown>();
  let isNullable = false;
  for (const e of errors) {
    if (e.instancePath !== path || e.keyword === 'anyOf') continue;
    // The failing (sub)schema, not the keyword: a literal is `{type: 'string', const: …}`, and a
    // number sent for it fails its type first.
    const schema: Record<string, unknown> = e.parentSchema ?? {};
    if ('const' in schema) values.add(schema.const);
    else if (Array.isArray(schema.enum)) for (const v of schema.enum) values.add(v);
    else if (schema.type === 'null') isNullable = true;
    else return undefined;
  }
  if (values.size === 0) return undefined;
  return `${[...values].map(String).join(', ')}${isNullable ? ' or null' : ''}`;
}

function describe(e: ErrorObject, all: ErrorObject[]): { path: string; problem: string } {
  if (['const', 'enum', 'anyOf', 'type'].includes(e.keyword)) {
    const allowed = allowedValues(all, e.instancePath);
    if (allowed) return { path: e.instancePath, problem: `must be one of ${allowed}` };
  }
  if (e.keyword === 'required')
    return { path: `${e.instancePath}/${String(e.params.missingProperty)}`, problem: 'is required' };
  if (e.keyword === 'additionalProperties') {
    return {
      path: `${e.instancePath}/${String(e.params.additionalProperty)}`,
      problem: 'is not a field of this entity',
    };
  }
  return { path: e.instancePath, problem: e.message ?? 'is invalid' };
}

/**
 * Validates a page's records against the entity schema. Returns every problem with the record's
 * index and field (`data/3/email`), at most `limit` of them.
 */
export function validateRecords(entity: SnapshotEntity, records: unknown[], limit = 100): FieldProblem[] {
  const validate = validatorOf(entity);
  if (!validate) return [{ field: 'entity', problem: `unknown entity '${entity}'` }];
  const problems: FieldProblem[] = [];
  for (let index = 0; index < records.length && problems.length < limit; index++) {
    const record = records[index];
    if (validate(record as unknown)) {
      const extra = crossFieldProblem(entity, record as unknown as Record<string, unknown>);
      if (extra) problems.push({ index, field: `data/${index}/${extra.field}`, problem: extra.problem });
      continue;
    }
    const seen = new Set<string>();
    const errors = validate.errors ?? [];
    for (const error of errors) {
      // Union branches repeat themselves; one problem per field is enough.
      const { path, problem } = describe(error, errors);
      if (seen.has(path)) continue;
      seen.add(path);
      problems.push({ index, field: `data/${index}${path}`, problem });
    }
  }
  return problems;
}

function crossFieldProblem(
  entity: SnapshotEntity,
  r: Record<string, unknown>,
): { field: string; problem: string } | undefined {
  if (entity === 'activities' && r.user_id === undefined && r.email === undefined) {
    return { field: 'user_id', problem: 'user_id or email is required' };
  }
  if (
    entity === 'contracts' &&
    typeof r.start_date === 'string' &&
    typeof r.end_date === 'string' &&
    r.end_date < r.start_date
  ) {
    return { field: 'end_date', problem: 'must not be before start_date' };
  }
  return undefined;
}

/** At most this many record problems are listed in a refused page's 422. */
const PROBLEM_LIMIT = 100;

/**
 * Refuses records that break the entity's schema: 422 listing each bad record's index, field and
 * problem, saying that nothing of `unit` ("this page", say) was stored.
 */
export function requireValidRecords(entity: SnapshotEntity, records: unknown[], unit: string): void {
  const problems = validateRecords(entity, records, PROBLEM_LIMIT);
  const first = problems[0];
  if (!first) return;
  // Problems are capped: past the cap, more records may be bad than those listed.
  const count = new Set(problems.map((p) => p.index)).size;
  throw new AppError(
    'unprocessable',
    `${count}${problems.length >= PROBLEM_LIMIT ? '+' : ''} record(s) break the ${entity} schema; first: ${first.field} ${first.problem}. Nothing of ${unit} was stored.`,
    { problems },
  );
}
