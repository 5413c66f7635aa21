import { Type } from '@sinclair/typebox';
import { Item } from './common.schema.js';

export const User = Item({
  id: Type.String(),
  email: Type.String({ format: 'email' }),
  firstName: Type.String(),
  lastName: Type.String(),
  status: Type.String(),
  department: Type.String(),
  isExternal: Type.Boolean(),
  appsCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});
