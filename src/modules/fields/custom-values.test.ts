import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors/app-error.js';
import { applyCustomValues, isIsoDate } from './custom-values.js';
import type { CustomField } from './fields.types.js';

function field(key: string, type: CustomField['type'], extra: Partial<CustomField> = {}): CustomField {
  return {
    id: `fld_${key}`,
    entity: 'apps',
    key,
    name: key,
    type,
    options: [],
    isRequired: false,
    createdAt: '',
    updatedAt: '',
    ...extra,
  };
}

const fields = [
  field('region', 'single-select', { options: ['EU', 'US'] }),
  field('seats', 'number'),
  field('reviewed', 'boolean'),
  field('reviewOn', 'date'),
  field('notes', 'string'),
  field('costCenter', 'string', { isRequired: true }),
];

describe('custom field values', () => {
  it('accepts values of the right type and merges them into the current ones', () => {
    const values = applyCustomValues(
      fields,
      { region: 'EU', seats: 3, reviewed: true, reviewOn: '2025-02-28', notes: null },
      { current: { notes: 'old', costCenter: 'X' }, isCreate: false },
    );
    expect(values).toEqual({
      region: 'EU',
      seats: 3,
      reviewed: true,
      reviewOn: '2025-02-28',
      costCenter: 'X',
    });
  });

  it('names the field of every wrong value', () => {
    expect(() =>
      applyCustomValues(fields, { region: 'APAC' }, { current: { costCenter: 'X' }, isCreate: false }),
    ).toThrow(/customFields\.region: must be one of "EU", "US"/);
    expect(() => applyCustomValues(fields, { seats: '3' }, { isCreate: false })).toThrow(
      /customFields\.seats: must be a number/,
    );
    expect(() => applyCustomValues(fields, { reviewOn: '2025-02-30' }, { isCreate: false })).toThrow(
      /customFields\.reviewOn: must be a date/,
    );
    expect(() => applyCustomValues(fields, { nope: 1 }, { isCreate: false })).toThrow(/customFields\.nope/);
  });

  it('requires required fields on create and refuses clearing them', () => {
    expect(() => applyCustomValues(fields, {}, { isCreate: true })).toThrow(
      /customFields\.costCenter: is required/,
    );
    expect(() => applyCustomValues(fields, { costCenter: null }, { isCreate: false })).toThrow(/is required/);
  });

  it('counts blank text as no value for a required field, once per field', () => {
    for (const isCreate of [true, false]) {
      let problems: unknown;
      try {
        applyCustomValues(fields, { costCenter: '  ' }, { current: { costCenter: 'X' }, isCreate });
      } catch (error) {
        if (error instanceof AppError) problems = error.details?.problems;
      }
      expect(problems, `isCreate ${isCreate}`).toEqual([
        { field: 'customFields.costCenter', problem: 'is required' },
      ]);
    }
    // Blank text in an optional field is a value like any other.
    expect(
      applyCustomValues(fields, { notes: '' }, { current: { costCenter: 'X' }, isCreate: false }),
    ).toEqual({
      costCenter: 'X',
      notes: '',
    });
  });

  it('leaves a required field the row lacks alone on updates that do not touch it', () => {
    expect(applyCustomValues(fields, { seats: 2 }, { current: {}, isCreate: false })).toEqual({ seats: 2 });
  });

  it('checks calendar dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2023-02-29')).toBe(false);
    expect(isIsoDate('2023-2-1')).toBe(false);
  });
});
