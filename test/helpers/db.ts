import pg from 'pg';
import { inject } from 'vitest';
import { tempDir } from './temp-dir.js';

export const testDb = process.env.SIGHTLINE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';

/** True when this run is the postgres project but no cluster could be started (loudly reported). */
export const skipPostgres = testDb === 'postgres' && !inject('pgUrl');

/**
 * A fresh, empty store for one test file: a new database on the throwaway PostgreSQL cluster, or
 * a new data directory for SQLite. Returns the env variables that point Sightline at it.
 */
export async function freshStoreEnv(): Promise<{ DATA_DIR: string; DATABASE_URL?: string }> {
  const dataDir = tempDir('sightline-test');
  if (testDb === 'sqlite') return { DATA_DIR: dataDir };
  const base = inject('pgUrl');
  const name = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return { DATA_DIR: dataDir, DATABASE_URL: `${base}/${name}` };
}
