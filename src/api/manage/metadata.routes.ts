import { Type } from '@sinclair/typebox';
import type { FieldsService } from '../../modules/fields/fields.service.js';
import type { CustomFieldEntity } from '../../modules/fields/fields.types.js';
import { actorOf, type Server } from '../http/server.js';
import { manageErrors } from './common.schema.js';
import { FieldMetadata, MetadataQuery } from './metadata.schema.js';
import { VersionHeaders } from './versions.js';

/** `/apps/metadata`, `/users/metadata`, `/contracts/metadata`: predefined and custom fields. */
export async function metadataRoutes(
  app: Server,
  { fields }: { fields: FieldsService },
  prefix: string,
): Promise<void> {
  const entities: CustomFieldEntity[] = ['apps', 'users', 'contracts'];
  for (const entity of entities) {
    app.get(
      `${prefix}/${entity}/metadata`,
      {
        config: { action: 'fields:read' },
        schema: {
          tags: ['manage'],
          headers: VersionHeaders,
          querystring: MetadataQuery,
          response: manageErrors({ 200: Type.Object({ data: Type.Array(FieldMetadata) }) }),
        },
      },
      async (request) => ({ data: await fields.metadata(actorOf(request), entity, request.query.search) }),
    );
  }
}
