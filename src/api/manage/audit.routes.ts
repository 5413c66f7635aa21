import type { AuditList } from '../../modules/audit/audit-list.js';
import { actorOf, type Server } from '../http/server.js';
import { AuditLogEntry } from './audit.schema.js';
import { ListQuery, manageErrors, Page } from './common.schema.js';
import { VersionHeaders } from './versions.js';

/** `/audit`: the append-only audit log, newest first, up to 1000 entries a page. */
export async function auditRoutes(
  app: Server,
  { auditList }: { auditList: AuditList },
  prefix: string,
): Promise<void> {
  app.get(
    `${prefix}/audit`,
    {
      config: { action: 'audit:read' },
      schema: {
        tags: ['manage'],
        headers: VersionHeaders,
        querystring: ListQuery,
        response: manageErrors({ 200: Page(AuditLogEntry) }),
      },
    },
    async (request) => auditList.list(actorOf(request), request.query),
  );
}
