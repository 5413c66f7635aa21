import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { type App, createApp } from '../app.js';
import { type DemoSummary, generateDemoIfEmpty } from '../modules/demo/demo.service.js';
import type { Config } from '../platform/config/config.js';
import { boundHeapGrowth } from '../platform/runtime/heap.js';
import { SharedRateStore, serveRateLedger } from '../platform/runtime/shared-rate-limit.js';

/** Asks the primary to look for due jobs now: an HTTP process queued one. */
const JOB_QUEUED = { kind: 'sightline:job-queued' } as const;
/** An HTTP process that dies this soon after its start counts towards the crash-loop limit. */
const CRASH_WINDOW_MS = 60_000;
const CRASH_LIMIT = 5;

export function formatDemoSummary(tenant: string, s: DemoSummary): string {
  return (
    `Demo data in tenant '${tenant}': ${s.people} people, ${s.groups} groups, ${s.apps} apps, ` +
    `${s.accounts} accounts, ${s.licenses} licenses, ${s.contracts} contracts, ` +
    `${s.transactions} transactions, ${s.activities} activities\n`
  );
}

/**
 * `sightline serve`. With `HTTP_PROCESSES` = 1 (the default) one process does everything. With
 * more, the primary process migrates, seeds, runs jobs, the outbox relay and the sweeps, and keeps
 * the rate-limit counts; it forks that many HTTP processes (node:cluster, sharing the port), which
 * answer requests on their own database connections and restarts any that dies.
 */
export async function serve(cfg: Config, opts: { demo?: boolean }): Promise<void> {
  boundHeapGrowth();
  if (cfg.httpProcesses > 1 && cluster.isWorker) return serveHttp(cfg);
  const app = await createApp(cfg);
  const tenant = opts.demo || cfg.demo ? await app.services.tenants.find('default') : undefined;
  // Before listening, so the first requests already see the demo organization.
  const summary = tenant && (await generateDemoIfEmpty(app.store.db, tenant.id));
  if (tenant && summary) process.stdout.write(formatDemoSummary(tenant.slug, summary));
  if (cfg.httpProcesses > 1) return supervise(cfg, app);
  const url = await app.listen();
  announce(cfg, app, url, '');
  onStopSignals(cfg, app, async () => app.close());
}

function announce(cfg: Config, app: App, url: string, processes: string): void {
  const publicUrl = cfg.publicUrl ?? url.replace('http://127.0.0.1', 'http://localhost');
  const running = `Sightline is running at ${publicUrl} (API docs: ${publicUrl}/docs)${processes}\n`;
  if (app.createdOwnerToken) {
    process.stdout.write(
      `\n${running}` +
        `First start: created the default tenant. Its owner token, shown only this once:\n\n` +
        `    ${app.createdOwnerToken}\n\n` +
        `Use it as: curl -H "Authorization: Bearer <token>" ${publicUrl}/api/tenant\n\n`,
    );
  } else {
    process.stdout.write(running);
  }
}

/**
 * SIGTERM/SIGINT run `stop` once, bounded by SHUTDOWN_GRACE_MS; a second signal or the grace
 * running out exits with 1 (a job's transaction rolls back and it runs again).
 */
function onStopSignals(
  cfg: Config,
  app: App,
  stop: () => Promise<void>,
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  let stopping = false;
  const abandon = (why: string) => {
    app.log.warn(
      `shutdown: ${why}; exiting with work unfinished (interrupted jobs run again on the next start)`,
    );
    process.exit(1);
  };
  const onSignal = async (signal: string) => {
    if (stopping) return abandon(`${signal} received again`);
    stopping = true;
    app.log.info(
      { signal, graceMs: cfg.shutdownGraceMs },
      'shutting down: finishing in-flight requests and jobs',
    );
    setTimeout(
      () => abandon(`in-flight work outlasted SHUTDOWN_GRACE_MS (${cfg.shutdownGraceMs} ms)`),
      cfg.shutdownGraceMs,
    ).unref();
    await stop();
    process.exit(0);
  };
  for (const signal of signals) process.on(signal, () => void onSignal(signal));
}

/** The primary of several HTTP processes: background work, the rate-limit ledger, supervision. */
async function supervise(cfg: Config, app: App): Promise<void> {
  const { log } = app;
  await app.startBackground();
  const stopLedger = serveRateLedger(cfg.httpProcesses);
  let stopping = false;
  const crashes: number[] = [];

  cluster.on('message', (_worker, message: unknown) => {
    if ((message as { kind?: unknown } | null)?.kind === JOB_QUEUED.kind) app.queue.wake();
  });
  const fork = (): Worker => {
    const worker = cluster.fork();
    const startedAt = Date.now();
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      log.error({ pid: worker.process.pid, code, signal }, 'HTTP process exited; starting another');
      const now = Date.now();
      if (now - startedAt < CRASH_WINDOW_MS) crashes.push(now);
      while (crashes.length > 0 && (crashes[0] ?? 0) < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length >= CRASH_LIMIT) {
        log.fatal(`${CRASH_LIMIT} HTTP processes died within a minute of starting; stopping`);
        process.kill(process.pid, 'SIGTERM');
        return;
      }
      setTimeout(() => {
        if (!stopping) fork();
      }, 1000).unref();
    });
    return worker;
  };

  const first = await new Promise<AddressInfo>((resolve, reject) => {
    let listening = 0;
    let address: AddressInfo | undefined;
    for (let i = 0; i < cfg.httpProcesses; i++) {
      const worker = fork();
      const failed = (code: number | null) =>
        reject(new Error(`An HTTP process exited (code ${code}) before it was listening`));
      worker.once('exit', failed);
      worker.once('listening', (at: AddressInfo) => {
        worker.off('exit', failed);
        address ??= at;
        if (++listening === cfg.httpProcesses) resolve(address);
      });
    }
  }).catch(async (error: unknown) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGKILL');
    await app.close();
    throw error;
  });
  const host = first.address.includes(':') ? `[${first.address}]` : first.address;
  announce(cfg, app, `http://${host}:${first.port}`, ` with ${cfg.httpProcesses} HTTP processes`);

  onStopSignals(cfg, app, async () => {
    stopping = true;
    // Each HTTP process finishes its in-flight requests and closes its connection to the store.
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    stopLedger();
    await app.close();
  });
}

/** One HTTP process of several: answers requests only; its primary runs jobs and counts limits. */
async function serveHttp(cfg: Config): Promise<void> {
  const app = await createApp(cfg, {
    httpProcess: {
      rateLimitStore: SharedRateStore,
      onJobQueued: () => process.send?.(JOB_QUEUED),
    },
  });
  await app.listen({ background: false });
  // Ctrl-C reaches every process of the terminal's group: the primary stops its HTTP processes
  // (SIGTERM) in order, so they ignore SIGINT.
  process.on('SIGINT', () => undefined);
  onStopSignals(cfg, app, async () => app.close(), ['SIGTERM']);
  // The primary is gone (killed): stop answering rather than run without it.
  process.on('disconnect', () => {
    app.log.error('the primary process is gone; stopping');
    void app.close().finally(() => process.exit(1));
  });
}
