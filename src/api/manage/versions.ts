import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';

/** The API versions of the management face; each is served under its own prefix. */
export const manageVersions = ['1.0', '1.1'] as const;
export type ManageVersion = (typeof manageVersions)[number];
export const managePrefixes = manageVersions.map((v) => `/v${v}`);

/** `X-API-Version` overrides the version the path prefix selects (Torii's header). */
export const VersionHeaders = Type.Object({
  'x-api-version': Type.Optional(
    Type.Unsafe<ManageVersion>(
      Type.String({ enum: [...manageVersions], description: 'Overrides the version of the path prefix' }),
    ),
  ),
});

/** The version a request asked for: its X-API-Version header, else its path prefix. */
export function versionOf(request: FastifyRequest): ManageVersion | undefined {
  const header = request.headers['x-api-version'];
  if (typeof header === 'string' && (manageVersions as readonly string[]).includes(header)) {
    return header as ManageVersion;
  }
  return manageVersions.find((v) => request.url.startsWith(`/v${v}/`));
}
