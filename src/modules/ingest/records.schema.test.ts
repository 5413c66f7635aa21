import { describe, expect, it } from 'vitest';
import { type SnapshotEntity, snapshotEntities, validateRecords } from './records.schema.js';

describe('validateRecords', () => {
  it('checks records against their entity, naming the record and field', () => {
    expect(validateRecords('users', [{ id: 'u1', email: 'a@x.co', status: 'active' }])).toEqual([]);
    expect(
      validateRecords('users', [
        { id: 'u1', email: 'a@x.co' },
        { id: 'u2', email: 'nope' },
      ]),
    ).toEqual([{ index: 1, field: 'data/1/email', problem: 'must match format "email"' }]);
    expect(validateRecords('users', [{ id: 'u1', email: 'a@x.co', colour: 'red' }])).toEqual([
      { index: 0, field: 'data/0/colour', problem: 'is not a field of this entity' },
    ]);
    expect(
      validateRecords('contracts', [
        { id: 'c1', name: 'C', start_date: '2026-02-01', end_date: '2026-01-01' },
      ]),
    ).toEqual([{ index: 0, field: 'data/0/end_date', problem: 'must not be before start_date' }]);
  });

  it('names the allowed values of an enum field once, with null where the field may be null', () => {
    expect(validateRecords('users', [{ id: 'u1', email: 'a@x.co', status: 'gone' }])).toEqual([
      { index: 0, field: 'data/0/status', problem: 'must be one of active, inactive, suspended' },
    ]);
    expect(validateRecords('contracts', [{ id: 'c1', name: 'C', billing_period: 7 }])).toEqual([
      {
        index: 0,
        field: 'data/0/billing_period',
        problem: 'must be one of monthly, quarterly, annual, one_time or null',
      },
    ]);
    // A union of types is not a list of values: its first problem stands.
    expect(validateRecords('users', [{ id: true, email: 'a@x.co' }])).toEqual([
      { index: 0, field: 'data/0/id', problem: 'must be string' },
    ]);
  });

  it('has a validator for every entity, and none for other names (inherited ones included)', () => {
    for (const entity of snapshotEntities) expect(validateRecords(entity, [{}]).length).toBeGreaterThan(0);
    for (const name of ['constructor', '__proto__', 'toString', 'people'])
      expect(validateRecords(name as SnapshotEntity, [{}])).toEqual([
        { field: 'entity', problem: `unknown entity '${name}'` },
      ]);
  });
});
