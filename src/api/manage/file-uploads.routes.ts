import { Type } from '@sinclair/typebox';
import type { FilesService } from '../../modules/files/files.service.js';
import type { ParsingsService } from '../../modules/imports/parsings.service.js';
import { AppError } from '../../platform/errors/app-error.js';
import { actorOf, type Server } from '../http/server.js';
import { manageErrors } from './common.schema.js';
import { VersionHeaders } from './versions.js';

/** Torii's limit for `POST /files/upload`; larger files go through `GET /files/url`. */
export const SMALL_FILE_BYTES = 3 * 1024 * 1024;

const origin = (request: { protocol: string; host: string }, publicUrl: string | undefined) =>
  publicUrl?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`;

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
      const part = await request.file({ limits: { fileSize: SMALL_FILE_BYTES, files: 1 } });
      if (part?.fieldname !== 'file')
        throw new AppError('bad_request', 'file: required, a multipart file field named "file"');
      const content = await part.toBuffer();
      const stored = await deps.files.store(actor, { name: part.filename || 'upload', content });
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
