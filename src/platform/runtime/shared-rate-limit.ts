import cluster, { type Worker } from 'node:cluster';

/**
 * Rate limits shared by the HTTP processes of one server (`HTTP_PROCESSES` > 1).
 *
 * The primary process keeps the only count of each key's window (the ledger); an HTTP process
 * asks it for a lease of requests and answers from that lease without asking again. A lease is a
 * quarter of what is left divided by the number of processes (at least one), so a client with
 * plenty of budget costs one message now and then, and near the limit each request asks for
 * exactly one. The limit is never exceeded, whichever processes a client's connections reach; a
 * lease still held by another process when the budget runs out is only used if that process gets
 * a request of the key (at most a quarter of what was left, shared among the processes).
 */

const KIND = 'sightline:rate';
const ASK_TIMEOUT_MS = 5000;

interface Ask {
  kind: typeof KIND;
  id: number;
  store: string;
  key: string;
  windowMs: number;
  max: number;
}

interface Grant {
  kind: typeof KIND;
  id: number;
  /** Requests this lease admits (0: the limit is reached). */
  granted: number;
  /** The window's count for the lease's first request. */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

/** An ask (on the primary) or a grant (in an HTTP process): this module's messages. */
function isRateMessage<T extends Ask | Grant>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && (message as T).kind === KIND;
}

/** The primary's side: answers every HTTP process's asks; returns a function that stops it. */
export function serveRateLedger(processes: number): () => void {
  const windows = new Map<string, { end: number; count: number }>();
  const onMessage = (worker: Worker, message: unknown) => {
    if (!isRateMessage<Ask>(message)) return;
    const now = Date.now();
    const id = `${message.store}\u0000${message.key}`;
    let entry = windows.get(id);
    if (!entry || entry.end <= now) {
      entry = { end: now + message.windowMs, count: 0 };
      windows.set(id, entry);
    }
    const left = message.max - entry.count;
    const granted = left <= 0 ? 0 : Math.max(1, Math.floor(left / (4 * processes)));
    // Refused requests count too, as in the in-process store: `current` passes `max`.
    const current = entry.count + 1;
    entry.count += Math.max(granted, 1);
    const grant: Grant = { kind: KIND, id: message.id, granted, current, ttl: entry.end - now };
    if (worker.isConnected()) worker.send(grant);
  };
  cluster.on('message', onMessage);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, entry] of windows) if (entry.end <= now) windows.delete(id);
  }, 10_000);
  sweep.unref();
  return () => {
    cluster.off('message', onMessage);
    clearInterval(sweep);
  };
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface Lease {
  end: number;
  left: number;
  current: number;
  /** The ledger refused: every request of the key is refused until `end`. */
  refused: boolean;
}

const pending = new Map<number, (grant: Grant) => void>();
let nextAsk = 1;
let listening = false;

function ask(store: string, key: string, windowMs: number, max: number): Promise<Grant> {
  if (!listening) {
    listening = true;
    process.on('message', (message: unknown) => {
      if (!isRateMessage<Grant>(message)) return;
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    });
  }
  return new Promise((resolve, reject) => {
    const id = nextAsk++;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('Rate limit ledger (the primary process) did not answer'));
    }, ASK_TIMEOUT_MS);
    pending.set(id, (grant) => {
      clearTimeout(timer);
      resolve(grant);
    });
    const message: Ask = { kind: KIND, id, store, key, windowMs, max };
    if (!process.send?.(message)) {
      clearTimeout(timer);
      pending.delete(id);
      reject(new Error('Rate limit ledger (the primary process) is gone'));
    }
  });
}

let storeCount = 0;

/**
 * The HTTP process's side, as a `@fastify/rate-limit` store. Stores are named in the order they
 * are made: every HTTP process builds the same routes in the same order, so names agree.
 */
export class SharedRateStore {
  private readonly name: string;
  private readonly leases = new Map<string, Lease>();
  private readonly asking = new Map<string, Promise<void>>();

  constructor(_params?: unknown) {
    this.name = `store${storeCount++}`;
  }

  child(_params: unknown): SharedRateStore {
    return new SharedRateStore();
  }

  incr(key: string, callback: Callback, windowMs: number, max: number): void {
    this.take(key, windowMs, max).then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
  }

  private async take(key: string, windowMs: number, max: number): Promise<{ current: number; ttl: number }> {
    for (;;) {
      const now = Date.now();
      const lease = this.leases.get(key);
      if (lease && lease.end > now) {
        if (lease.refused) return { current: max + 1, ttl: lease.end - now };
        if (lease.left > 0) {
          lease.left--;
          return { current: lease.current++, ttl: lease.end - now };
        }
      }
      const inFlight = this.asking.get(key);
      if (inFlight) {
        await inFlight;
        continue;
      }
      const asked = ask(this.name, key, windowMs, max).then((grant) => {
        const end = Date.now() + grant.ttl;
        this.leases.set(key, {
          end,
          left: grant.granted,
          current: grant.current,
          refused: grant.granted === 0,
        });
        if (this.leases.size > 10_000) this.forgetEnded();
      });
      this.asking.set(key, asked);
      try {
        await asked;
      } finally {
        this.asking.delete(key);
      }
    }
  }

  private forgetEnded(): void {
    const now = Date.now();
    for (const [key, lease] of this.leases) if (lease.end <= now) this.leases.delete(key);
  }
}
