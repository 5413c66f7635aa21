import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FilesService } from '../../modules/files/files.service.js';
import type { ParsingsService } from '../../modules/imports/parsings.service.js';
import { AppError, badRequest } from '../../platform/errors/app-error.js';
import { actorOf, type Server } from '../http/server.js';
import { manageErrors } from './common.schema.js';
import { VersionHeaders } from './versions.js';

/** Torii's limit for `POST /files/upload`; larger files go through `GET /files/url`. */
export const SMALL_FILE_BYTES = 3 * 1024 * 1024;

const origin = (request: { protocol: string; host: string }, publicUrl: string | undefined) =>
  publicUrl?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`;

const fileRequired = () =>
  badRequest([{ field: 'file', problem: 'required, a multipart file field named "file"' }]);

/**
 * The one file of a multipart upload, read to the end of the body: a first file part not named
 * "file" or a second file part is a 400 naming the field, and so is a body busboy cannot parse.
 */
async function readOneFile(request: FastifyRequest): Promise<{ name: string; content: Buffer }> {
  let file: { name: string; content: Buffer } | undefined;
  try {
    const limits = { fileSize: SMALL_FILE_BYTES, files: 2, fields: 100, fieldSize: 64 * 1024 };
    for await (const part of request.parts({ limits })) {
      if (part.type !== 'file') continue;
      if (file)
        throw badRequest([
          { field: part.fieldname, problem: 'a second file part: send one file per upload, in "file"' },
        ]);
      if (part.fieldname !== 'file') throw fileRequired();
      file = { name: part.filename || 'upload', content: await part.toBuffer() };
    }
  } catch (error) {
    // Ours, or a limit of @fastify/multipart (413s, mapped by the face's error handler).
    if (error instanceof AppError || hasStatus(error, 413)) throw error;
    // busboy's parse errors ("Boundary not found", "Part terminated early…") carry no code; a part
    // busboy had already given up on when it was read ends as a premature close.
    const reason = hasCode(error, 'ERR_STREAM_PREMATURE_CLOSE')
      ? 'the body ended inside the file part'
      : error instanceof Error
        ? error.message
        : String(error);
    throw badRequest([{ field: 'body', problem: `is not a well-formed multipart body (${reason})` }]);
  }
  if (!file) throw fileRequired();
  // As for a signed upload: a file without content is a mistake (a wrong path, a failed export).
  if (file.content.length === 0)
    throw badRequest([{ field: 'file', problem: 'is empty: the file has no content' }]);
  return file;
}

const hasStatus = (error: unknown, status: number) =>
  typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === status;
const hasCode = (error: unknown, code: string) =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === code;

/** `POST /files/upload` (multipart, ≤ 3 MB) and `GET /files/url` (a signed upload URL). */
export async function fileUploadsRoutes(
  app: Server,
  deps: { files: FilesService; parsings: ParsingsService; publicUrl: string | undefined },
  prefix: string,
): Promise<void> {
  const tags = ['manage'];
  app.post(
    `${prefix}/files/upload`,
    {
      config: { action: 'files:write' },
      schema: {
        tags,
        headers: VersionHeaders,
        consumes: ['multipart/form-data'],
        response: manageErrors({
          200: Type.Object({
            id: Type.String(),
            url: Type.String(),
            parsingId: Type.Optional(
              Type.String({ description: 'CSV/XLSX: the parsing with the detected columns' }),
            ),
          }),
        }),
      },
    },
    async (request) => {
      const actor = actorOf(request);
      if (!request.isMultipart())
        throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data, field "file"');
      const file = await readOneFile(request);
      const stored = await deps.files.store(actor, file);
      const parsing = await deps.parsings.createForFile(actor, stored);
      return {
        id: stored.id,
        url: `${origin(request, deps.publicUrl)}/api/files/${stored.id}/content`,
        ...(parsing ? { parsingId: parsing.id } : {}),
      };
    },
  );
  app.get(
    `${prefix}/files/url`,
    {
      config: { action: 'files:write' },
      schema: {
        tags,
        headers: VersionHeaders,
        querystring: Type.Object({
          name: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 255,
              description: 'file name (its extension decides the accepted type)',
            }),
          ),
        }),
        response: manageErrors({
          200: Type.Object({
            url: Type.String({ format: 'uri' }),
            fileId: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
          }),
        }),
      },
    },
    async (request) => {
      const made = await deps.files.createUploadUrl(actorOf(request), request.query.name);
      return {
        url: `${origin(request, deps.publicUrl)}${made.path}`,
        fileId: made.fileId,
        expiresAt: made.expiresAt,
      };
    },
  );
}
