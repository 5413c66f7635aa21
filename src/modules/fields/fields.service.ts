import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import {
  type CustomField,
  type CustomFieldEntity,
  type CustomFieldType,
  customFieldEntities,
  customFieldTypes,
  type FieldMetadata,
} from './fields.types.js';
import { isPredefinedKey, predefinedFields } from './predefined.js';
import { removeCustomValues } from './remove-custom-values.js';

export interface CustomFieldInput {
  entity: CustomFieldEntity;
  key: string;
  name: string;
  type: CustomFieldType;
  options?: string[];
  isRequired?: boolean;
}

export interface CustomFieldUpdate {
  name?: string;
  options?: string[];
  isRequired?: boolean;
}

/** Keys are code-safe identifiers: they become query parameters and JSON keys in SQL. */
const KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function toCustomField(r: {
  id: string;
  entity: string;
  key: string;
  name: string;
  type: string;
  options: unknown;
  is_required: number;
  created_at: string;
  updated_at: string;
}): CustomField {
  return {
    id: r.id,
    entity: r.entity as CustomFieldEntity,
    key: r.key,
    name: r.name,
    type: r.type as CustomFieldType,
    options: parseJson<string[]>(r.options, []),
    isRequired: r.is_required === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The custom fields of one entity of a tenant, in creation order (no authorization: callers check). */
export async function loadCustomFields(
  db: Executor,
  tenantId: string,
  entity: CustomFieldEntity,
): Promise<CustomField[]> {
  const rows = await db
    .selectFrom('custom_fields')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .orderBy('id')
    .execute();
  return rows.map(toCustomField);
}

function checkOptions(type: CustomFieldType, options: string[] | undefined): string[] {
  if (type !== 'single-select') {
    if (options && options.length > 0) {
      throw new AppError('bad_request', 'options: only single-select fields have options');
    }
    return [];
  }
  const cleaned = (options ?? []).map((o) => o.trim());
  if (cleaned.length === 0) throw new AppError('bad_request', 'options: a single-select field needs options');
  if (cleaned.some((o) => !o)) throw new AppError('bad_request', 'options: must not contain empty values');
  if (new Set(cleaned).size !== cleaned.length) {
    throw new AppError('bad_request', 'options: must not contain duplicates');
  }
  return cleaned;
}

/** Custom field definitions and the field metadata of apps, users and contracts. */
export function createFieldsService({ db, dialect }: { db: Db; dialect: Dialect }) {
  async function getRow(executor: Executor, tenantId: string, id: string): Promise<CustomField> {
    const row = await executor
      .selectFrom('custom_fields')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Custom field', id);
    return toCustomField(row);
  }

  return {
    /** Predefined then custom fields of an entity; `search` matches key or name, case-insensitively. */
    async metadata(actor: Actor, entity: CustomFieldEntity, search?: string): Promise<FieldMetadata[]> {
      requireAction(actor, 'fields:read');
      const custom = (await loadCustomFields(db, actor.tenantId, entity)).map(
        (f): FieldMetadata => ({
          key: f.key,
          name: f.name,
          type: f.type,
          isCustom: true,
          isRequired: f.isRequired,
          ...(f.type === 'single-select' ? { options: f.options } : {}),
        }),
      );
      const all = [...predefinedFields[entity], ...custom];
      const needle = search?.trim().toLowerCase();
      if (!needle) return all;
      return all.filter((f) => f.key.toLowerCase().includes(needle) || f.name.toLowerCase().includes(needle));
    },

    async list(actor: Actor, entity?: CustomFieldEntity): Promise<CustomField[]> {
      requireAction(actor, 'fields:read');
      if (entity) return loadCustomFields(db, actor.tenantId, entity);
      const rows = await db
        .selectFrom('custom_fields')
        .selectAll()
        .where('tenant_id', '=', actor.tenantId)
        .orderBy('id')
        .execute();
      return rows.map(toCustomField);
    },

    async get(actor: Actor, id: string): Promise<CustomField> {
      requireAction(actor, 'fields:read');
      return getRow(db, actor.tenantId, id);
    },

    /** Defines a custom field; its key may not shadow a predefined field or another custom field. */
    async create(actor: Actor, input: CustomFieldInput): Promise<CustomField> {
      requireAction(actor, 'fields:write');
      if (!customFieldEntities.includes(input.entity)) {
        throw new AppError('bad_request', `entity: must be one of ${customFieldEntities.join(', ')}`);
      }
      if (!customFieldTypes.includes(input.type)) {
        throw new AppError('bad_request', `type: must be one of ${customFieldTypes.join(', ')}`);
      }
      if (!KEY.test(input.key)) {
        throw new AppError(
          'bad_request',
          'key: must start with a letter and hold only letters, digits and _',
        );
      }
      if (
        isPredefinedKey(input.entity, input.key) ||
        ['size', 'cursor', 'sort', 'fields'].includes(input.key)
      ) {
        throw new AppError('bad_request', `key: '${input.key}' is a predefined field of ${input.entity}`);
      }
      const name = input.name.trim();
      if (!name) throw new AppError('bad_request', 'name: must not be empty');
      const options = checkOptions(input.type, input.options);
      const id = newId('fld');
      await db.transaction().execute(async (trx) => {
        const taken = await trx
          .selectFrom('custom_fields')
          .select('id')
          .where('tenant_id', '=', actor.tenantId)
          .where('entity', '=', input.entity)
          .where('key', '=', input.key)
          .executeTakeFirst();
        if (taken) throw new AppError('conflict', `key: ${input.entity} already has a field '${input.key}'`);
        // Values under this key can only be left from a field deleted before deletes removed them:
        // the new field starts empty rather than reviving them, whatever their type.
        await removeCustomValues(trx, dialect, actor.tenantId, input.entity, input.key);
        const now = nowIso();
        await trx
          .insertInto('custom_fields')
          .values({
            tenant_id: actor.tenantId,
            id,
            entity: input.entity,
            key: input.key,
            name,
            type: input.type,
            options: toJson(options),
            is_required: input.isRequired ? 1 : 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await recordAudit(trx, actor, {
          action: 'custom_field.created',
          targetType: 'custom_field',
          targetId: id,
          details: { entity: input.entity, key: input.key, type: input.type },
        });
      });
      return getRow(db, actor.tenantId, id);
    },

    /** Renames a field, changes its options or whether it is required; key and type never change. */
    async update(actor: Actor, id: string, input: CustomFieldUpdate): Promise<CustomField> {
      requireAction(actor, 'fields:write');
      await db.transaction().execute(async (trx) => {
        const current = await getRow(trx, actor.tenantId, id);
        const changes: { name?: string; options?: string; is_required?: number } = {};
        if (input.name !== undefined) {
          if (!input.name.trim()) throw new AppError('bad_request', 'name: must not be empty');
          changes.name = input.name.trim();
        }
        if (input.options !== undefined) changes.options = toJson(checkOptions(current.type, input.options));
        if (input.isRequired !== undefined) changes.is_required = input.isRequired ? 1 : 0;
        await trx
          .updateTable('custom_fields')
          .set({ ...changes, updated_at: nowIso() })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'custom_field.updated',
          targetType: 'custom_field',
          targetId: id,
          details: { entity: current.entity, key: current.key, ...input },
        });
      });
      return getRow(db, actor.tenantId, id);
    },

    /**
     * Deletes a definition and, in the same transaction, the values stored under its key on the
     * tenant's rows of its entity: a later field with the same key (of any type) starts empty.
     */
    async delete(actor: Actor, id: string): Promise<void> {
      requireAction(actor, 'fields:write');
      await db.transaction().execute(async (trx) => {
        const current = await getRow(trx, actor.tenantId, id);
        await trx
          .deleteFrom('custom_fields')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        const valuesRemoved = await removeCustomValues(
          trx,
          dialect,
          actor.tenantId,
          current.entity,
          current.key,
        );
        await recordAudit(trx, actor, {
          action: 'custom_field.deleted',
          targetType: 'custom_field',
          targetId: id,
          details: { entity: current.entity, key: current.key, valuesRemoved },
        });
      });
    },
  };
}

export type FieldsService = ReturnType<typeof createFieldsService>;
