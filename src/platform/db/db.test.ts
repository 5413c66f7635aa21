import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './db.js';

describe('the embedded (SQLite) store', () => {
  let store: Store | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with foreign keys on, no busy timeout and no memory map', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sightline-db-'));
    store = openStore({ dataDir: dir });
    const pragma = async (name: string) =>
      Object.values((await sql.raw(`pragma ${name}`).execute(store!.db)).rows[0] as object)[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(0);
    expect(await pragma('mmap_size')).toBe(0);
    expect(await pragma('cache_size')).toBe(-16 * 1024);
  });

  it('takes the size of its page cache in MiB', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sightline-db-'));
    store = openStore({ dataDir: dir, cacheMb: 64 });
    const { rows } = await sql.raw('pragma cache_size').execute(store.db);
    expect(Object.values(rows[0] as object)[0]).toBe(-64 * 1024);
  });
});
