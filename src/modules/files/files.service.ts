import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { Db } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError, badRequest, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import { unstorableText } from '../../platform/text/storable.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { checkFileType, csvMime } from './sniff.js';

export interface StoredFile {
  id: string;
  name: string;
  ext: string;
  contentType: string;
  sizeBytes: number;
}

export interface FilesSettings {
  /** Signs upload URLs. */
  key: Buffer;
  /** Largest file a signed upload URL accepts. */
  maxUploadBytes: number;
  /** How long a signed upload URL stays valid. */
  uploadUrlTtlMs: number;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Whether a whole content, fed in chunks, is valid UTF-8 (the head alone cannot tell). */
class Utf8Check {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private valid = true;
  feed(chunk: Buffer) {
    if (!this.valid) return;
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.valid = false;
    }
  }
  end(): boolean {
    this.feed(Buffer.alloc(0));
    if (this.valid)
      try {
        this.decoder.decode();
      } catch {
        this.valid = false;
      }
    return this.valid;
  }
}

/** A CSV whose head read as UTF-8 but whose whole content is not: Windows-1252 (Excel's CSV). */
function settleCharset<T extends { ext: string; mime: string }>(type: T, validUtf8: boolean): T {
  return type.ext === 'csv' && type.mime === 'text/csv' && !validUtf8
    ? { ...type, mime: csvMime('windows-1252') }
    : type;
}

/** A stored file and a way to read its content (streamed). */
export interface OpenableFile extends StoredFile {
  open(): Promise<Readable>;
}

/** A claimed but never finished upload is given up this long after its URL expired. */
const STALE_UPLOAD_MS = 60 * 60_000;

/**
 * Files of a tenant, their content in the blob store under `files/<tenant>/<id>` (DATA_DIR or an
 * S3-compatible bucket). Types are decided by content, not names. Larger files go through a
 * signed, expiring, single-use upload URL served by Sightline.
 */
export function createFilesService({
  db,
  blobs,
  settings,
}: {
  db: Db;
  blobs: BlobStore;
  settings: FilesSettings;
}) {
  const keyOf = (tenantId: string, id: string) => `files/${tenantId}/${id}`;
  const sign = (payload: string) => createHmac('sha256', settings.key).update(`upload:${payload}`).digest();

  async function record(
    actor: Actor,
    id: string,
    file: { name: string; ext: string; mime: string; size: number; sha256: string },
    status: string,
  ) {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('files')
        .set({
          name: file.name,
          content_type: file.mime,
          size_bytes: file.size,
          sha256: file.sha256,
          status,
          expires_at: null,
        })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', id)
        .execute();
      await recordAudit(trx, actor, {
        action: 'file.uploaded',
        targetType: 'file',
        targetId: id,
        details: { name: file.name, sizeBytes: file.size },
      });
    });
  }

  return {
    /** A small upload (the multipart route): checked, written, recorded. */
    async store(actor: Actor, input: { name: string; content: Buffer }): Promise<OpenableFile> {
      requireAction(actor, 'files:write');
      const unstorable = unstorableText(input.name);
      if (unstorable) throw new AppError('bad_request', `The file name ${unstorable}`);
      const checked = checkFileType(input.name, input.content.subarray(0, 4096));
      if ('problem' in checked) throw new AppError('unsupported_media_type', checked.problem);
      const utf8 = new Utf8Check();
      utf8.feed(input.content);
      const type = settleCharset(checked, utf8.end());
      const id = newId('fil');
      const sha256 = createHash('sha256').update(input.content).digest('hex');
      await db
        .insertInto('files')
        .values({
          tenant_id: actor.tenantId,
          id,
          name: input.name,
          content_type: type.mime,
          size_bytes: input.content.length,
          sha256,
          storage_key: `files/${actor.tenantId}/${id}`,
          purpose: null,
          created_by: actor.id,
          created_at: nowIso(),
          status: 'pending',
          expires_at: null,
        })
        .execute();
      await blobs.write(keyOf(actor.tenantId, id), input.content, type.mime);
      await record(
        actor,
        id,
        { name: input.name, ext: type.ext, mime: type.mime, size: input.content.length, sha256 },
        'stored',
      );
      return {
        id,
        name: input.name,
        ext: type.ext,
        contentType: type.mime,
        sizeBytes: input.content.length,
        open: () => blobs.read(keyOf(actor.tenantId, id)),
      };
    },

    /** A signed, expiring, single-use URL (path part) for uploading one larger file, and its future id. */
    async createUploadUrl(
      actor: Actor,
      name: string | undefined,
    ): Promise<{ path: string; fileId: string; expiresAt: string }> {
      requireAction(actor, 'files:write');
      const id = newId('fil');
      const expiresAt = new Date(Date.now() + settings.uploadUrlTtlMs).toISOString();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('files')
          .values({
            tenant_id: actor.tenantId,
            id,
            name: name ?? '',
            content_type: '',
            size_bytes: 0,
            sha256: '',
            storage_key: `files/${actor.tenantId}/${id}`,
            purpose: 'upload-url',
            created_by: actor.id,
            created_at: nowIso(),
            status: 'pending',
            expires_at: expiresAt,
          })
          .execute();
        await recordAudit(trx, actor, {
          action: 'file.upload_url_created',
          targetType: 'file',
          targetId: id,
          details: { expiresAt },
        });
      });
      const payload = b64(JSON.stringify({ t: actor.tenantId, f: id, e: Date.parse(expiresAt) }));
      return { path: `/api/uploads?token=${payload}.${b64(sign(payload))}`, fileId: id, expiresAt };
    },

    /**
     * Receives the body of a signed upload: the signature, expiry and single use are checked before
     * a byte is written; the body is streamed to disk, sniffed, and cut off past the size limit. A
     * missing or empty body is refused (400) without spending the URL; any later failure spends it.
     */
    async receiveUpload(
      token: string,
      nameOverride: string | undefined,
      body: Readable | undefined,
      actorFor: (tenantId: string) => Actor,
    ): Promise<OpenableFile & { tenantId: string }> {
      const [payload = '', signature = ''] = token.split('.');
      const expected = sign(payload);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw new AppError('forbidden', 'Upload URL signature is invalid');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        t: string;
        f: string;
        e: number;
      };
      if (Date.now() > claims.e) throw new AppError('forbidden', 'Upload URL has expired');
      const row = await db
        .selectFrom('files')
        .select(['name', 'status'])
        .where('tenant_id', '=', claims.t)
        .where('id', '=', claims.f)
        .executeTakeFirst();
      if (!row) throw notFound('File', claims.f);
      if (row.status !== 'pending') throw new AppError('conflict', 'Upload URL has already been used');
      const name = nameOverride ?? row.name;
      // Wait for the first chunk before claiming: a missing or empty body is the client's mistake
      // and leaves the URL usable for a retry.
      if (!body) throw badRequest([{ field: 'body', problem: "is missing: send the file's content" }]);
      const chunks: AsyncIterator<Buffer | string> = body[Symbol.asyncIterator]();
      let first: IteratorResult<Buffer | string> = await chunks.next();
      while (!first.done && first.value.length === 0) first = await chunks.next();
      if (first.done) throw badRequest([{ field: 'body', problem: 'is empty: the file has no content' }]);
      // Claim the URL first: a second upload with the same URL is refused even while this one runs.
      const claimed = await db
        .updateTable('files')
        .set({ status: 'receiving' })
        .where('tenant_id', '=', claims.t)
        .where('id', '=', claims.f)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new AppError('conflict', 'Upload URL has already been used');
      const key = keyOf(claims.t, claims.f);
      const hash = createHash('sha256');
      let size = 0;
      let head = Buffer.alloc(0);
      let type: { ext: string; mime: string } | undefined;
      const utf8 = new Utf8Check();
      const sink = new PassThrough();
      // The store may not be listening yet when a check fails on the first chunk: the error is
      // reported through `writing` and the rethrow below, not as an unhandled stream event.
      sink.on('error', () => undefined);
      const writing = blobs.write(key, sink);
      writing.catch(() => undefined); // awaited below; a failure must not surface as unhandled
      try {
        for (let next: IteratorResult<Buffer | string> = first; !next.done; next = await chunks.next()) {
          const buf = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
          size += buf.length;
          if (size > settings.maxUploadBytes)
            throw new AppError('payload_too_large', `The file exceeds ${settings.maxUploadBytes} bytes`);
          if (!type) {
            head = Buffer.concat([head, buf]);
            if (head.length >= 4096) {
              const checked = checkFileType(name, head);
              if ('problem' in checked) throw new AppError('unsupported_media_type', checked.problem);
              type = checked;
            }
          }
          hash.update(buf);
          utf8.feed(buf);
          if (!sink.write(buf)) await Promise.race([once(sink, 'drain'), writing]);
        }
        if (!type) {
          const checked = checkFileType(name, head);
          if ('problem' in checked) throw new AppError('unsupported_media_type', checked.problem);
          type = checked;
        }
        type = settleCharset(type, utf8.end());
        sink.end();
        await writing;
      } catch (error) {
        await chunks.return?.().catch(() => undefined); // stop reading the body (as `for await` would)
        sink.destroy(error instanceof Error ? error : new Error(String(error)));
        await writing.catch(() => undefined);
        await blobs.remove(key).catch(() => undefined);
        // The URL is spent either way: a failed upload asks for a new one.
        await db
          .updateTable('files')
          .set({ status: 'failed' })
          .where('tenant_id', '=', claims.t)
          .where('id', '=', claims.f)
          .execute();
        throw error;
      }
      const sha256 = hash.digest('hex');
      await record(
        actorFor(claims.t),
        claims.f,
        { name, ext: type.ext, mime: type.mime, size, sha256 },
        'stored',
      );
      return {
        id: claims.f,
        tenantId: claims.t,
        name,
        ext: type.ext,
        contentType: type.mime,
        sizeBytes: size,
        open: () => blobs.read(key),
      };
    },

    /** A stored file of the caller's tenant. */
    async get(actor: Actor, id: string): Promise<OpenableFile> {
      requireAction(actor, 'files:read');
      const row = await db
        .selectFrom('files')
        .selectAll()
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', id)
        .where('status', '=', 'stored')
        .executeTakeFirst();
      if (!row) throw notFound('File', id);
      const ext = /\.([A-Za-z0-9]+)$/.exec(row.name)?.[1]?.toLowerCase() ?? '';
      return {
        id,
        name: row.name,
        ext,
        contentType: row.content_type,
        sizeBytes: row.size_bytes,
        open: () => blobs.read(keyOf(actor.tenantId, id)),
      };
    },

    /**
     * Forgets what never became a file: upload URLs that expired unused, uploads that failed, and
     * uploads claimed by a process that died (their partial content too). Runs periodically.
     */
    async sweepUnused(now = Date.now()): Promise<number> {
      const expired = new Date(now).toISOString();
      const stale = new Date(now - STALE_UPLOAD_MS).toISOString();
      const rows = await db
        .selectFrom('files')
        .select(['tenant_id', 'id'])
        .where((eb) =>
          eb.or([
            eb.and([eb('status', 'in', ['pending', 'failed']), eb('expires_at', '<', expired)]),
            eb.and([eb('status', '=', 'receiving'), eb('expires_at', '<', stale)]),
            // A small upload whose process died between the row and the content.
            eb.and([
              eb('status', '=', 'pending'),
              eb('expires_at', 'is', null),
              eb('created_at', '<', stale),
            ]),
          ]),
        )
        .limit(1000)
        .execute();
      for (const row of rows) {
        await blobs.remove(keyOf(row.tenant_id, row.id)).catch(() => undefined);
        await db
          .deleteFrom('files')
          .where('tenant_id', '=', row.tenant_id)
          .where('id', '=', row.id)
          .where('status', '!=', 'stored')
          .execute();
      }
      return rows.length;
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
