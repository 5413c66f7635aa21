import { Type } from '@sinclair/typebox';
import { Item } from './common.schema.js';

export const AuditLogEntry = Item({
  id: Type.String(),
  action: Type.String(),
  actor: Type.String(),
  actorType: Type.String(),
  actorEmail: Type.String({ format: 'email' }),
  target: Type.String(),
  targetType: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  requestId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
