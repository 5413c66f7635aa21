import { SingleBar } from 'cli-progress';
import { factEntities, snapshotEntities } from '../modules/ingest/records.schema.js';
import { countRecords, type FileRecord, readRecords } from './records-file.js';

export interface PushOptions {
  url: string;
  token: string;
  instance: string;
  entity: string;
  file: string;
  /** `snapshots` (default) or `facts`. */
  kind: 'snapshots' | 'facts';
  pageSize: number;
  progress: boolean;
}

interface SyncReply {
  data: {
    id: string;
    status: string;
    phase?: string;
    result?: { entities: Record<string, Record<string, number>>; unresolved: unknown[] };
    failure_reason?: string;
  };
}

async function api<T>(options: PushOptions, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${options.url.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      const parsed = JSON.parse(text) as {
        error?: string;
        details?: { problems?: { field: string; problem: string }[] };
      };
      message = [
        parsed.error,
        ...(parsed.details?.problems ?? []).slice(0, 10).map((p) => `  ${p.field}: ${p.problem}`),
      ].join('\n');
    } catch {
      // not JSON: keep the text
    }
    throw new Error(`${method} ${path} → ${response.status}\n${message}`);
  }
  return JSON.parse(text) as T;
}

/** Refuses an entity the chosen upload kind does not take, naming the ones it does. */
export function checkEntity(kind: PushOptions['kind'], entity: string): void {
  const allowed: readonly string[] = kind === 'facts' ? factEntities : snapshotEntities;
  if (allowed.includes(entity)) return;
  if (kind === 'facts')
    throw new Error(`--facts takes --entity ${factEntities.join(' or ')}, not '${entity}'`);
  throw new Error(
    `unknown --entity '${entity}': snapshot entities are ${snapshotEntities.join(', ')}` +
      ` (with --facts: ${factEntities.join(', ')})`,
  );
}

/**
 * A sync the push created but could not finish holds its instance (the next push is answered 409)
 * until the server fails it as idle. The /v2 API gives the integration token no way to end it;
 * the admin cancel (`sync:approve`) does, so it is tried with the same token and otherwise named.
 */
async function releaseSync(options: PushOptions, syncId: string, cause: unknown): Promise<Error> {
  const message = cause instanceof Error ? cause.message : String(cause);
  const cancel = `/api/syncs/${encodeURIComponent(syncId)}/cancel`;
  try {
    await api(options, 'POST', cancel);
    return new Error(`${message}
sync ${syncId} was cancelled; nothing was applied`);
  } catch (error) {
    const refused = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return new Error(
      `${message}
sync ${syncId} is left running and holds instance ${options.instance} until it ` +
        `expires (SYNC_IDLE_MINUTES); nothing was applied. The /v2 API cannot cancel it with this ` +
        `token (${refused}): an admin frees it with POST ${cancel} (a token with sync:approve).`,
    );
  }
}

/**
 * `sightline push`: checks the entity and reads the whole file first, then creates a sync on a
 * running server, uploads the file in pages with a progress bar, finishes, and returns the
 * finished sync. Nothing is applied unless every page was accepted; a page the server refuses
 * ends the sync (see `releaseSync`).
 */
export async function push(
  options: PushOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<SyncReply['data']> {
  checkEntity(options.kind, options.entity);
  const base = `/v2/integrations-sync/instances/${encodeURIComponent(options.instance)}/syncs`;
  const total = await countRecords(options.file);
  const sync = await api<SyncReply>(options, 'POST', base);
  const bar = options.progress
    ? new SingleBar({
        format: 'upload [{bar}] {value}/{total} records | {eta_formatted} left',
        hideCursor: true,
      })
    : undefined;
  bar?.start(total, 0);
  let page = 0;
  let sent = 0;
  let batch: FileRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    page++;
    await api(options, 'POST', `${base}/${sync.data.id}/data/${options.kind}`, {
      entity: options.entity,
      page,
      data: batch,
    });
    sent += batch.length;
    bar?.update(sent);
    batch = [];
  };
  try {
    for await (const record of readRecords(options.file)) {
      batch.push(record);
      if (batch.length >= options.pageSize) await flush();
    }
    await flush();
  } catch (error) {
    throw await releaseSync(options, sync.data.id, error);
  } finally {
    bar?.stop();
  }
  out.write(`uploaded ${sent} records in ${page} pages to sync ${sync.data.id}; finishing…\n`);
  let finished = await api<SyncReply>(options, 'POST', `${base}/${sync.data.id}/finish`);
  while (finished.data.status === 'running') {
    await new Promise((r) => setTimeout(r, 1000));
    finished = await api<SyncReply>(options, 'GET', `${base}/${sync.data.id}`);
  }
  return finished.data;
}

/** Prints a finished sync's counts as a small table. */
export function formatResult(sync: SyncReply['data']): string {
  if (sync.status !== 'finished') return `sync ${sync.id} ${sync.status}: ${sync.failure_reason ?? ''}\n`;
  const lines = [`sync ${sync.id} finished`];
  for (const [entity, counts] of Object.entries(sync.result?.entities ?? {})) {
    lines.push(
      `  ${entity}: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  const unresolved = sync.result?.unresolved ?? [];
  if (unresolved.length > 0)
    lines.push(`  unresolved references: ${unresolved.length} (see GET ${'…'}/syncs/${sync.id})`);
  return `${lines.join('\n')}\n`;
}
