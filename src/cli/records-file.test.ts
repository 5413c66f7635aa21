import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { readRecords, rowToRecord } from './records-file.js';

describe('records files', () => {
  it('maps CSV cells to record fields, skipping empty cells and nesting custom fields', () => {
    expect(
      rowToRecord({
        id: 'u1',
        email: 'a@b.co',
        role: '',
        'custom_fields.cost_center': 'CC-1',
        amount: '12.5',
      }),
    ).toEqual({
      id: 'u1',
      email: 'a@b.co',
      amount: 12.5,
      custom_fields: { cost_center: 'CC-1' },
    });
  });

  it('reads CSV (quoted commas, BOM), NDJSON and JSON arrays', async () => {
    const dir = tempDir('sightline-records');
    writeFileSync(join(dir, 'a.csv'), '\ufeffid,email,name\nu1,a@x.co,"Doe, Jane"\nu2,b@x.co,\n');
    writeFileSync(join(dir, 'a.ndjson'), '{"id":"u1"}\n\n{"id":"u2"}\n');
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ data: [{ id: 'u1' }] }));
    const all = async (file: string) => {
      const out = [];
      for await (const r of readRecords(join(dir, file))) out.push(r);
      return out;
    };
    expect(await all('a.csv')).toEqual([
      { id: 'u1', email: 'a@x.co', name: 'Doe, Jane' },
      { id: 'u2', email: 'b@x.co' },
    ]);
    expect(await all('a.ndjson')).toEqual([{ id: 'u1' }, { id: 'u2' }]);
    expect(await all('a.json')).toEqual([{ id: 'u1' }]);
    writeFileSync(join(dir, 'bad.ndjson'), '{"id":1}\n{oops\n');
    await expect(all('bad.ndjson')).rejects.toThrow('bad.ndjson:2');
  });
});
