import { expect } from 'vitest';
import type { TestApp, TestResponse } from './app.js';
import { PATCH_OP } from './scim.js';

// biome-ignore lint/suspicious/noExplicitAny: IAM envelopes are read loosely in assertions
export type Obj = Record<string, any>;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export const IAM_CONTRACT = 'stackspot-iam-scim.openapi.yaml';
export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A request to `/iam/v1` (as the owner unless a token is given), on the app `app()` returns. */
export function iamCaller(app: () => TestApp) {
  return (method: Method, url: string, payload?: unknown, token = app().ownerToken) =>
    app().request({
      method,
      url: `/iam/v1${url}`,
      token,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
}

/** Asserts the status (200 unless given) and returns the JSON body. */
export function ok(res: TestResponse, status = 200): Obj {
  expect(res.statusCode, res.body).toBe(status);
  return res.json<Obj>();
}

/** Asserts an IAM error: status, SCIM error shape, and that the detail names `names`. */
export function fails(res: TestResponse, status: number, ...names: string[]): Obj {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<Obj>();
  expect(body).toMatchObject({ schemas: [SCIM_ERROR], status: String(status) });
  for (const n of names) expect(body.detail).toContain(n);
  return body;
}

/** An IAM PatchOp body with the given operations (`schemas` a string, as the contract shows it). */
export const patchOp = (...Operations: Obj[]) => ({
  schemas: PATCH_OP,
  Operations,
});
