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

/** An empty or whitespace-only text: no value for a required field. */
function isBlank(value: unknown): boolean {
  return typeof value === 'string' && value.trim() === '';
}

/**
 * Validates custom field values written to an entity and returns the values to store: `current`
 * with `input` applied (null clears a value). Unknown keys, values of the wrong type and missing
 * required fields are a 400 naming `<path>.<key>`. A required field is checked on create, and on
 * update only when the write itself clears it (null or blank text): a field made required after
 * rows existed must not block every unrelated update of a row that lacks it.
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
    if (value === null || (field.isRequired && isBlank(value))) {
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
      const name = `${path}.${field.key}`;
      const value = result[field.key];
      const isMissing = value === undefined || value === null || isBlank(value);
      if (field.isRequired && isMissing && !problems.some((p) => p.field === name)) {
        problems.push({ field: name, problem: 'is required' });
      }
    }
  }
  if (problems.length > 0) throw badRequest(problems);
  return result;
}
