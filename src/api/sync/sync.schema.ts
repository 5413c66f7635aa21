import { type TSchema, Type } from '@sinclair/typebox';
import { factEntities, snapshotEntities } from '../../modules/ingest/records.schema.js';

/** The contract's Error body: `{error, code}` (Sightline adds details and requestId). */
export const SyncError = Type.Object({
  error: Type.String(),
  code: Type.String(),
  details: Type.Optional(Type.Unknown()),
  requestId: Type.Optional(Type.String()),
});

export function syncErrors(responses: Record<number, TSchema>): Record<number, TSchema> {
  return { 400: SyncError, 401: SyncError, 403: SyncError, 404: SyncError, 429: SyncError, ...responses };
}

export const Instance = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
  notification_emails: Type.Array(Type.String()),
  app_id: Type.String(),
  app_name: Type.String(),
  integration: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const InstanceUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    notification_emails: Type.Optional(
      Type.Array(Type.String({ format: 'email', maxLength: 320 }), { maxItems: 50 }),
    ),
  },
  { additionalProperties: false },
);

const Counts = Type.Record(Type.String(), Type.Number());

export const Sync = Type.Object({
  id: Type.String(),
  instance_id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('finished'), Type.Literal('failed')]),
  created_at: Type.String({ format: 'date-time' }),
  finished_at: Type.Optional(Type.String({ format: 'date-time' })),
  phase: Type.String({ description: 'receiving, applying, held or done (Sightline extension)' }),
  pages: Type.Integer(),
  records: Type.Integer(),
  entities: Type.Record(
    Type.String(),
    Type.Object({
      kind: Type.String(),
      entity: Type.String(),
      pages: Type.Integer(),
      records: Type.Integer(),
    }),
  ),
  result: Type.Optional(
    Type.Object({
      entities: Type.Record(Type.String(), Counts),
      unresolved: Type.Array(
        Type.Object({
          entity: Type.String(),
          field: Type.String(),
          value: Type.String(),
          count: Type.Optional(Type.Integer()),
        }),
      ),
      events: Type.Integer(),
      baseline: Type.Array(Type.String()),
    }),
  ),
  failure_reason: Type.Optional(Type.String()),
  held: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const InstanceParams = Type.Object({ instance_id: Type.String({ minLength: 1, maxLength: 100 }) });
export const SyncParams = Type.Object({
  instance_id: Type.String({ minLength: 1, maxLength: 100 }),
  sync_id: Type.String({ minLength: 1, maxLength: 100 }),
});

const page = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const data = Type.Array(Type.Object({}, { additionalProperties: true }), {
  maxItems: 1000,
  description:
    'At most 1000 records; each must match the entity record schema (components SyncUserRecord, ...)',
});

/**
 * An enum, as the contract writes it, not a union of literals: a wrong entity is then one problem
 * naming the allowed values, not "must be equal to constant" once per entity.
 */
const entityOf = <E extends string>(entities: E[]) => Type.Unsafe<E>(Type.String({ enum: entities }));

export const SnapshotUpload = Type.Object(
  { entity: entityOf(snapshotEntities), page, data },
  { additionalProperties: false },
);
export const FactUpload = Type.Object(
  { entity: entityOf(factEntities), page, data },
  { additionalProperties: false },
);
export const Uploaded = Type.Object({ message: Type.String() });
