import { type TSchema, Type } from '@sinclair/typebox';
import type { Actor } from '../../modules/auth/actor.js';
import { AppError } from '../../platform/errors/app-error.js';
import { actorOf, type Server } from '../http/server.js';
import { toIamList } from './envelope.js';

type Obj = Record<string, unknown>;

/** What one IAM kind offers; the face turns it into six routes with one shape. */
export interface IamKind<T> {
  /** URL segment: `actions`, `resource-types`, … */
  path: string;
  read: string;
  write: string;
  toItem: (value: T) => Obj;
  list: (actor: Actor, query: Obj) => Promise<{ items: T[]; total?: number }>;
  get: (actor: Actor, id: string) => Promise<T>;
  create: (actor: Actor, body: Obj) => Promise<T>;
  replace: (actor: Actor, id: string, body: Obj) => Promise<T>;
  patch: (actor: Actor, id: string, body: unknown) => Promise<T>;
  remove: (actor: Actor, id: string) => Promise<void>;
  /** The contract answers PUT with the list envelope for some kinds (as the source shows). */
  putAnswersList: boolean;
  /** Body schemas (validation and OpenAPI); without them any object passes to the service. */
  bodies?: { create: TSchema; replace: TSchema; patch: TSchema };
}

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const Body = Type.Object({}, { additionalProperties: true });
const Query = Type.Object(
  {
    type: Type.Optional(
      Type.String({ maxLength: 200, description: 'resources: only those of this resource type' }),
    ),
    filter: Type.Optional(
      Type.String({
        maxLength: 4096,
        description:
          "A SCIM filter (RFC 7644 §3.4.2.2) over the kind's attributes; unknown ones are invalidFilter",
      }),
    ),
    startIndex: Type.Optional(Type.Integer({ minimum: 1, description: '1-based index of the first result' })),
    count: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Results per page: 100 unless given, at most 200' }),
    ),
  },
  { additionalProperties: false },
);

/** The body as an object (the route schema has already checked it is one). */
function objectBody(body: unknown): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AppError('bad_request', 'body: expected a JSON object');
  return Object.fromEntries(Object.entries(body));
}

/** Registers list, create, get, replace, patch and delete for one kind under `/iam/v1`. */
export function registerIamKind<T>(app: Server, kind: IamKind<T>): void {
  const base = `/iam/v1/${kind.path}`;
  const tags = ['iam'];
  const bodies = kind.bodies ?? { create: Body, replace: Body, patch: Body };
  const read = { action: kind.read };
  const write = { action: kind.write };
  app.get(base, { config: read, schema: { tags, querystring: Query } }, async (request) => {
    const { items, total } = await kind.list(actorOf(request), request.query);
    return toIamList(items.map(kind.toItem), total);
  });
  app.post(
    base,
    { config: write, bodyLimit: 256 * 1024, schema: { tags, body: bodies.create } },
    async (request, reply) =>
      reply.status(201).send(kind.toItem(await kind.create(actorOf(request), objectBody(request.body)))),
  );
  app.get(`${base}/:id`, { config: read, schema: { tags, params: Id } }, async (request) =>
    kind.toItem(await kind.get(actorOf(request), request.params.id)),
  );
  app.put(
    `${base}/:id`,
    { config: write, bodyLimit: 256 * 1024, schema: { tags, params: Id, body: bodies.replace } },
    async (request) => {
      const body = objectBody(request.body);
      const item = kind.toItem(await kind.replace(actorOf(request), request.params.id, body));
      return kind.putAnswersList ? toIamList([item]) : item;
    },
  );
  app.patch(
    `${base}/:id`,
    { config: write, bodyLimit: 1024 * 1024, schema: { tags, params: Id, body: bodies.patch } },
    async (request) => kind.toItem(await kind.patch(actorOf(request), request.params.id, request.body)),
  );
  app.delete(`${base}/:id`, { config: write, schema: { tags, params: Id } }, async (request, reply) => {
    await kind.remove(actorOf(request), request.params.id);
    return reply.status(204).send();
  });
}
