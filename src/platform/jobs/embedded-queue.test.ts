import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../db/db.js';
import { createLogger } from '../log/log.js';
import { createEmbeddedQueue } from './embedded-queue.js';

describe('embedded queue polling', () => {
  let dir: string | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an idle poll only reads: it never waits for a write lock held by another connection', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sightline-queue-'));
    store = openStore({ dataDir: dir });
    await store.migrate();
    const queue = createEmbeddedQueue({ db: store.db, log: createLogger('silent'), pollMs: 10 });
    let ran = 0;
    queue.register({ name: 'test.idle', handler: async () => void ran++ });
    await queue.start();
    // Another connection (the sync apply worker, a CLI) holds the write lock. better-sqlite3 is
    // synchronous: a poll that asked for the lock would block this thread until the busy timeout.
    const other = new SQLite(join(dir, 'sightline.db'));
    other.exec('begin immediate');
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    await new Promise((resolve) => setTimeout(resolve, 300));
    lag.disable();
    other.exec('commit');
    other.close();
    await queue.stop();
    expect(ran).toBe(0);
    // Many polls ran in those 300 ms; none held the event loop.
    expect(lag.max / 1e6).toBeLessThan(150);
  });
});
