import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../helpers/net.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgres://postgres@127.0.0.1:PORT` of the throwaway cluster, or '' when none could start. */
    pgUrl: string;
  }
}

function findBinDir(): string | undefined {
  if (process.env.PG_BIN_DIR && existsSync(join(process.env.PG_BIN_DIR, 'initdb')))
    return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** Starts a throwaway PostgreSQL cluster for the `postgres` project, and removes it afterwards. */
export default async function setup(project: TestProject): Promise<() => void> {
  const binDir = findBinDir();
  if (!binDir) {
    const banner = '#'.repeat(78);
    process.stderr.write(
      `\n${banner}\n# PostgreSQL binaries (initdb, pg_ctl) not found: the postgres test project is SKIPPED.\n` +
        `# Install them (apt-get install -y postgresql) to run the suite on PostgreSQL.\n${banner}\n\n`,
    );
    project.provide('pgUrl', '');
    return () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'sightline-pg-'));
  const dataDir = join(dir, 'data');
  const isRoot = process.getuid?.() === 0;
  // initdb refuses to run as root: run the cluster as the postgres system user then.
  const run = (bin: string, args: string[]) => {
    const command = join(binDir, bin);
    const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  };
  if (isRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), -1);
  run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
  run('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  project.provide('pgUrl', `postgres://postgres@127.0.0.1:${port}`);
  return () => {
    spawnSync(isRoot ? 'runuser' : join(binDir, 'pg_ctl'), [
      ...(isRoot ? ['-u', 'postgres', '--', join(binDir, 'pg_ctl')] : []),
      '-D',
      dataDir,
      '-m',
      'immediate',
      'stop',
    ]);
    rmSync(dir, { recursive: true, force: true });
  };
}
