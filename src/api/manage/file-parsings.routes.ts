import { Type } from '@sinclair/typebox';
import type { ParsingsService } from '../../modules/imports/parsings.service.js';
import { actorOf, type Server } from '../http/server.js';
import { manageErrors } from './common.schema.js';
import { VersionHeaders } from './versions.js';

const ParsingRequest = Type.Object({
  id: Type.String(),
  fileId: Type.String(),
  status: Type.String({ description: 'ready → importing → applying → completed | failed' }),
  columns: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  target: Type.Union([Type.String(), Type.Null()]),
  syncId: Type.Union([Type.String(), Type.Null()]),
  failureReason: Type.Union([Type.String(), Type.Null()]),
  result: Type.Union([
    Type.Object({
      rows: Type.Integer(),
      imported: Type.Integer(),
      rejected: Type.Integer(),
      errors: Type.Array(
        Type.Object({ field: Type.String(), problem: Type.String(), index: Type.Optional(Type.Integer()) }),
      ),
    }),
    Type.Null(),
  ]),
});

/** `GET /parsings/{id}` and `PUT /parsings/manual` (Torii). */
export async function fileParsingsRoutes(
  app: Server,
  deps: { parsings: ParsingsService },
  prefix: string,
): Promise<void> {
  const tags = ['manage'];
  app.get(
    `${prefix}/parsings/:id`,
    {
      config: { action: 'files:read' },
      schema: {
        tags,
        headers: VersionHeaders,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: manageErrors({ 200: ParsingRequest }),
      },
    },
    async (request) => deps.parsings.get(actorOf(request), request.params.id),
  );
  app.put(
    `${prefix}/parsings/manual`,
    {
      config: { action: 'files:write' },
      bodyLimit: 64 * 1024,
      schema: {
        tags,
        headers: VersionHeaders,
        body: Type.Object(
          {
            fileId: Type.String({ minLength: 1, maxLength: 100 }),
            mappings: Type.Array(
              Type.Object(
                {
                  sourceColumn: Type.String({ maxLength: 500 }),
                  targetField: Type.String({ maxLength: 100 }),
                },
                { additionalProperties: false },
              ),
              { maxItems: 200 },
            ),
            target: Type.Optional(
              Type.String({ description: 'accounts (default), transactions or contracts' }),
            ),
            appName: Type.Optional(
              Type.String({ maxLength: 200, description: 'the app whose custom instance receives the rows' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: manageErrors({ 200: Type.Object({ id: Type.String(), status: Type.String() }) }),
      },
    },
    async (request) => {
      const parsing = await deps.parsings.mapAndImport(actorOf(request), request.body);
      return { id: parsing.id, status: parsing.status };
    },
  );
}
