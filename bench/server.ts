import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface BenchServer {
  url: string;
  /** The server's DATA_DIR (its SQLite database when no DATABASE_URL is given). */
  dataDir: string;
  token: string;
  process: ChildProcess;
  /** Peak resident memory of the server process (VmHWM), in MB. */
  peakRssMb(): number;
  /** Sampled peaks of anonymous and file-backed resident memory, in MB. */
  peakBreakdown(): { anonMb: number; fileMb: number };
  stop(): Promise<void>;
}

/** Starts Sightline as a separate process (SQLite in a temp dir, or the given PostgreSQL URL). */
export async function startServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sightline-bench-'));
  const port = await freePort();
  const token = `sl_${randomBytes(32).toString('base64url')}`;
  // BENCH_DIST=1 runs the compiled server (`npm run build` first), as in production.
  // BENCH_NODE_ARGS adds Node flags to the server only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = process.env.BENCH_DIST
    ? [...nodeArgs, 'dist/src/cli.js', 'serve']
    : [...nodeArgs, '--import', 'tsx', 'src/cli.ts', 'serve'];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      SIGHTLINE_ADMIN_TOKEN: token,
      SIGHTLINE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      RATE_LIMIT_MAX: '100000000',
      SYNC_FINISH_WAIT_MS: '120000',
      JOBS_POLL_MS: '50',
      ...env,
    },
    stdio: ['ignore', process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  // A benchmark that crashes must not leave its server running: an orphan (idle, or still
  // writing a CPU profile) skews every later measurement on a machine with two cores.
  // Prepended: it runs before the guard of a PostgreSQL cluster started earlier.
  const orphanGuard = () => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.prependOnceListener('exit', orphanGuard);
  const url = `http://127.0.0.1:${port}`;
  // Peak anonymous vs file-backed resident memory, sampled (VmHWM only gives the total).
  const peaks = { anon: 0, file: 0 };
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peaks.anon = Math.max(peaks.anon, Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0));
      peaks.file = Math.max(peaks.file, Number(/RssFile:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // process gone
    }
  }, 200);
  sampler.unref();
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    token,
    process: child,
    peakBreakdown() {
      return { anonMb: Math.round(peaks.anon / 1024), fileMb: Math.round(peaks.file / 1024) };
    },
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 1024);
    },
    async stop() {
      clearInterval(sampler);
      process.off('exit', orphanGuard);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A throwaway PostgreSQL cluster for benchmarks; returns its URL and a stop function. */
export async function startPostgres(): Promise<{ url: string; stop(): void } | undefined> {
  const binDir = '/usr/lib/postgresql/15/bin';
  try {
    execFileSync(join(binDir, 'pg_ctl'), ['--version']);
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sightline-bench-pg-'));
  const isRoot = process.getuid?.() === 0;
  const run = (bin: string, args: string[]) =>
    isRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(binDir, bin), ...args], { stdio: 'pipe' })
      : execFileSync(join(binDir, bin), args, { stdio: 'pipe' });
  if (isRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), -1);
  run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    join(dir, 'data'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB -c synchronous_commit=off ${process.env.BENCH_PG_OPTS ?? ''}`,
    '-l',
    join(dir, 'log'),
    '-w',
    'start',
  ]);
  run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'sightline']);
  const teardown = () => {
    try {
      run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // Nor its PostgreSQL cluster (torn down synchronously, as an 'exit' listener must).
  const orphanGuard = () => {
    try {
      teardown();
    } catch {
      // already stopped
    }
  };
  process.once('exit', orphanGuard);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/sightline`,
    stop() {
      process.off('exit', orphanGuard);
      if (process.env.BENCH_PG_LOG) execFileSync('cp', [join(dir, 'log'), process.env.BENCH_PG_LOG]);
      teardown();
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
