import { mkdirSync, writeFileSync } from 'node:fs';
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

  it('names the file in every error, and a missing file in one line', async () => {
    const dir = tempDir('sightline-records-bad');
    const all = async (file: string) => {
      const out = [];
      for await (const r of readRecords(join(dir, file))) out.push(r);
      return out;
    };
    writeFileSync(join(dir, 'broken.json'), '{"data": [{"id": 1 "x"}]}');
    writeFileSync(join(dir, 'object.json'), '{"id": "u1"}');
    writeFileSync(join(dir, 'null.json'), 'null');
    writeFileSync(join(dir, 'numbers.json'), '[{"id": "u1"}, 2]');
    writeFileSync(join(dir, 'scalar.ndjson'), '{"id":1}\n"u2"\n');
    writeFileSync(join(dir, 'ragged.csv'), 'id,email\nu1,a@x.co,extra\n');
    mkdirSync(join(dir, 'folder.csv'));
    await expect(all('missing.csv')).rejects.toThrow(`cannot read ${join(dir, 'missing.csv')}: no such file`);
    await expect(all('missing.ndjson')).rejects.toThrow(/^cannot read .*missing\.ndjson: no such file$/);
    await expect(all('missing.json')).rejects.toThrow(/^cannot read .*missing\.json: no such file$/);
    await expect(all('folder.csv')).rejects.toThrow(/^cannot read .*folder\.csv: is a directory$/);
    await expect(all('broken.json')).rejects.toThrow(/broken\.json: not valid JSON \(.*position/);
    await expect(all('object.json')).rejects.toThrow(/object\.json: expected a JSON array/);
    await expect(all('null.json')).rejects.toThrow(/null\.json: expected a JSON array/);
    await expect(all('numbers.json')).rejects.toThrow(/numbers\.json: record 1 is not a JSON object/);
    await expect(all('scalar.ndjson')).rejects.toThrow(/scalar\.ndjson:2: not a JSON object/);
    await expect(all('ragged.csv')).rejects.toThrow(/ragged\.csv: Invalid Record Length/);
  });
});
