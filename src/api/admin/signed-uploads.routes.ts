import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { systemActor } from '../../modules/auth/actor.js';
import type { FilesService } from '../../modules/files/files.service.js';
import type { ParsingsService } from '../../modules/imports/parsings.service.js';
import { attachmentDisposition } from '../http/content-disposition.js';
import { actorOf, type Server } from '../http/server.js';

/**
 * `PUT /api/uploads?token=…`: the body of a signed upload URL (no bearer token: the signature is the
 * credential), streamed to disk; and `GET /api/files/:id/content` to read a stored file back.
 */
export async function signedUploadsRoutes(
  app: Server,
  deps: { files: FilesService; parsings: ParsingsService },
): Promise<void> {
  await app.register(async (scope) => {
    // Any content type: the body is streamed as is, never buffered.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.put<{ Querystring: { token: string; name?: string } }>(
      '/api/uploads',
      {
        schema: {
          tags: ['admin'],
          querystring: Type.Object({
            token: Type.String({ minLength: 10, maxLength: 1000 }),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          }),
        },
      },
      async (request) => {
        const stored = await deps.files.receiveUpload(
          request.query.token,
          request.query.name,
          request.body as Readable | undefined,
          (tenantId) => systemActor(tenantId, 'signed upload'),
        );
        const parsing = await deps.parsings.createForFile(
          systemActor(stored.tenantId, 'signed upload'),
          stored,
        );
        return {
          fileId: stored.id,
          name: stored.name,
          sizeBytes: stored.sizeBytes,
          ...(parsing ? { parsingId: parsing.id } : {}),
        };
      },
    );
  });
  app.get<{ Params: { id: string } }>(
    '/api/files/:id/content',
    {
      config: { action: 'files:read' },
      schema: { tags: ['admin'], params: Type.Object({ id: Type.String({ maxLength: 100 }) }) },
    },
    async (request, reply) => {
      const file = await deps.files.get(actorOf(request), request.params.id);
      return reply
        .type(file.contentType)
        .header('content-disposition', attachmentDisposition(file.name))
        .send(await file.open());
    },
  );
}
