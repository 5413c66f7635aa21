import type { TestApp, TestResponse } from './app.js';

export const SCIM = '/scim/v2';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SIGHTLINE = 'urn:ietf:params:scim:schemas:extension:sightline:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A SCIM call as an IdP makes it: `application/scim+json` bodies. */
export function scim(
  t: TestApp,
  token: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return t.request({
    method,
    url: url.startsWith('/') && !url.startsWith(SCIM) && !url.startsWith('/v1') ? `${SCIM}${url}` : url,
    token,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }), ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

/** A minimal valid user body. */
export function userBody(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [
      { value: userName.includes('@') ? userName : `${userName}@example.com`, type: 'work', primary: true },
    ],
    active: true,
    ...extra,
  };
}

export function patchBody(...operations: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}
