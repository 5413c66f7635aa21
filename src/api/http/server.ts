import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Actor } from '../../modules/auth/actor.js';
import { requireAction } from '../../modules/auth/actor.js';
import type { TokensService } from '../../modules/auth/tokens.service.js';
import { sha256Hex } from '../../platform/crypto/crypto.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import type { Logger } from '../../platform/log/log.js';
import { type ErrorRenderer, renderNativeError, toAppError } from './errors.js';
import { checkJsonText, checkUrlText } from './text-guard.js';
import { validatorCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The IAM action this route performs; routes without one are public (health, docs). */
    action?: string;
  }
  interface FastifyRequest {
    actor?: Actor;
  }
  interface FastifyInstance {
    /** Every registered route with the action it requires (for docs and the shared auth tests). */
    routeCatalog: RouteEntry[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  action: string | undefined;
}

export type Server = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface ServerOptions {
  log: Logger;
  tokens: TokensService;
  bodyLimitBytes: number;
  rateLimit: { max: number; windowMs: number };
  /** Where request counts live: this process (the default), or shared by the server's HTTP processes. */
  rateLimitStore?: FastifyRateLimitStoreCtor | undefined;
}

/** A face: its URL prefix and how it renders errors. The longest matching prefix wins. */
const faces: { prefix: string; render: ErrorRenderer }[] = [];

/** Registers how errors under a URL prefix are rendered (each face calls this once). */
export function registerFaceErrors(prefix: string, render: ErrorRenderer): void {
  faces.push({ prefix, render });
  faces.sort((a, b) => b.prefix.length - a.prefix.length);
}

function rendererFor(url: string): ErrorRenderer {
  return faces.find((f) => url.startsWith(f.prefix))?.render ?? renderNativeError;
}

/**
 * Answers an error in the format of the face its URL belongs to, with the headers its status calls
 * for: `Retry-After` when the error carries one, `WWW-Authenticate` on a 401 (RFC 6750 §3: the
 * scheme, and `invalid_token` when a token was sent and refused).
 */
function sendError(request: FastifyRequest, reply: FastifyReply, appError: AppError): FastifyReply {
  const { body, contentType } = rendererFor(request.url)(appError, request.id);
  if (contentType) reply.type(contentType);
  const retryAfter = appError.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  if (appError.status === 401) {
    reply.header(
      'www-authenticate',
      request.headers.authorization
        ? 'Bearer realm="sightline", error="invalid_token"'
        : 'Bearer realm="sightline"',
    );
  }
  return reply.status(appError.status).send(body);
}

/** The caller's actor; only on routes that declare an action (the auth hook sets it). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('unauthorized', 'Authentication required');
  return request.actor;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim();
}

/** A rate-limit window in words: `1 minute`, `90 seconds`, `2 hours`. */
export function windowText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const units: [number, string][] = [
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return n === 1 ? `1 ${name}` : `${n} ${name}s`;
    }
  }
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/**
 * The 429 of a limiter whose window is `windowMs` (`context.after` is the time left in the window,
 * not the window: the message names both).
 */
export function rateLimitError(windowMs: number) {
  return (_request: FastifyRequest, context: { max: number; after: string; ttl: number }) =>
    new AppError(
      'rate_limited',
      `Rate limit of ${context.max} requests per ${windowText(windowMs)} exceeded; retry in ${context.after}`,
      { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
    );
}

/**
 * The HTTP server shared by every face: request ids, JSON Schema validation, auth by declared
 * action, per-token rate limit, body limits, OpenAPI and docs, and one error path.
 */
export async function createServer(options: ServerOptions): Promise<Server> {
  const app = Fastify({
    loggerInstance: options.log,
    bodyLimit: options.bodyLimitBytes,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(incoming)
        ? incoming
        : newId('req');
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A URL the router refuses (bad percent-encoding, a path segment over 100 characters) is
    // answered like any other error, in the face's format, instead of Fastify's own JSON.
    frameworkErrors: (error, request, reply) => {
      const appError =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new AppError('not_found', 'Not found: no identifier is longer than 100 characters')
          : error.code === 'FST_ERR_BAD_URL'
            ? new AppError('bad_request', 'The URL is malformed (invalid percent-encoding)')
            : toAppError(error);
      sendError(request, reply as unknown as FastifyReply, appError);
    },
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  const routeCatalog: RouteEntry[] = [];
  app.decorate('routeCatalog', routeCatalog);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routeCatalog.push({ method, url: route.url, action: route.config?.action });
    }
  });
  // JSON APIs: anything but JSON (and SCIM's JSON) is 415 unless a route adds its own parser.
  app.removeContentTypeParser('text/plain');
  // JSON (and SCIM's JSON) with prototype-poisoning protection; an empty body is no body, so a
  // client that always sends `Content-Type: application/json` can still POST to body-less routes.
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/scim+json'],
    { parseAs: 'string' },
    (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      parseJson(request, text, (error, value) => {
        if (error) return done(error, undefined);
        const bad = checkJsonText(text, value);
        return bad ? done(bad, undefined) : done(null, value);
      });
    },
  );

  // A callback hook, not an async one: no promise per response.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  app.setErrorHandler(async (error, request, reply) => {
    const appError = toAppError(error);
    if (appError.code === 'internal') {
      request.log.error({ err: error }, 'unhandled error');
    } else if (appError.status >= 500) {
      request.log.warn({ err: error }, appError.message);
    }
    return sendError(request, reply, appError);
  });

  app.setNotFoundHandler(async (request, reply) => {
    return sendError(
      request,
      reply,
      new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
    );
  });

  await app.register(rateLimit, {
    global: true,
    max: options.rateLimit.max,
    timeWindow: options.rateLimit.windowMs,
    ...(options.rateLimitStore ? { store: options.rateLimitStore } : {}),
    // Keyed by the credential (hashed), so each token has its own budget; anonymous calls by address.
    keyGenerator: (request) => {
      const bearer = bearerOf(request);
      return bearer ? `t:${sha256Hex(bearer)}` : `ip:${request.ip}`;
    },
    allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
    errorResponseBuilder: rateLimitError(options.rateLimit.windowMs),
  });

  // A callback hook: one string search per request, no promise.
  app.addHook('onRequest', (request, _reply, done) => done(checkUrlText(request.url)));

  app.addHook('onRequest', async (request) => {
    const action = request.routeOptions.config.action;
    if (!action) return;
    const secret = bearerOf(request);
    if (!secret) throw new AppError('unauthorized', 'Missing bearer token (Authorization: Bearer <token>)');
    request.actor = await options.tokens.authenticate(secret, request.id);
    requireAction(request.actor, action);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sightline API',
        version: '0.1.0',
        description:
          'Every face of Sightline: push-sync (/v2), management (/v1.0, /v1.1), SCIM (/scim/v2), IAM (/iam/v1) and the native admin API (/api).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Shared schemas keep their $id as their component name (SyncUserRecord, ...).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get<{ Params: { face: string } }>(
    '/openapi/:face.json',
    { schema: { hide: true } },
    async (request) => {
      const prefix = facePrefixes[request.params.face];
      if (!prefix) throw new AppError('not_found', `Unknown face '${request.params.face}'`);
      const doc = app.swagger() as { paths?: Record<string, unknown> };
      const paths = Object.fromEntries(
        Object.entries(doc.paths ?? {}).filter(([path]) => prefix.some((p) => path.startsWith(p))),
      );
      return { ...doc, paths };
    },
  );

  return app;
}

/** Which URL prefixes make up each face's OpenAPI document (`/openapi/<face>.json`). */
const facePrefixes: Record<string, string[]> = {
  admin: ['/api/'],
  sync: ['/v2/'],
  manage: ['/v1.0/', '/v1.1/'],
  scim: ['/scim/v2/'],
  iam: ['/iam/v1/'],
};
