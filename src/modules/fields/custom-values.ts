import { badRequest, type FieldProblem } from '../../platform/errors/app-error.js';
import type { CustomField } from './fields.types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_TEXT = 2000;

/** A valid calendar date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Why a value does not fit the field's type, or undefined when it fits. */
export function customValueProblem(field: CustomField, value: unknown): string | undefined {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return value.length > MAX_TEXT ? `must be at most ${MAX_TEXT} characters` : undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'date':
      return typeof value === 'string' && isIsoDate(value) ? undefined : 'must be a date (YYYY-MM-DD)';
    case 'single-select':
      return typeof value === 'string' && field.options.includes(value)
        ? undefined
        : `must be one of ${field.options.map((o) => JSON.stringify(o)).join(', ')}`;
  }
}

/**
 * Validates custom field values written to an entity and returns the values to store: `current`
 * with `input` applied (null clears a value). Unknown keys, values of the wrong type and missing
 * required fields (on create, or cleared on update) are a 400 naming `<path>.<key>`.
 */
export function applyCustomValues(
  fields: CustomField[],
  input: Record<string, unknown> | undefined,
  options: { current?: Record<string, unknown>; isCreate: boolean; path?: string },
): Record<string, unknown> {
  const path = options.path ?? 'customFields';
  const result: Record<string, unknown> = { ...(options.current ?? {}) };
  const problems: FieldProblem[] = [];
  for (const [key, value] of Object.entries(input ?? {})) {
    const field = fields.find((f) => f.key === key);
    if (!field) {
      problems.push({ field: `${path}.${key}`, problem: 'is not a custom field of this entity' });
      continue;
    }
    if (value === null) {
      if (field.isRequired) problems.push({ field: `${path}.${key}`, problem: 'is required' });
      delete result[key];
      continue;
    }
    const problem = customValueProblem(field, value);
    if (problem) problems.push({ field: `${path}.${key}`, problem });
    else result[key] = value;
  }
  if (options.isCreate) {
    for (const field of fields) {
      if (field.isRequired && (result[field.key] === undefined || result[field.key] === null)) {
        problems.push({ field: `${path}.${field.key}`, problem: 'is required' });
      }
    }
  }
  if (problems.length > 0) throw badRequest(problems);
  return result;
}
