import { expect } from 'vitest';
import { builtinRoles } from '../../src/modules/iam/catalog.js';
import { createToken, type TestApp } from './app.js';

/** A URL for a route pattern: path parameters become a plausible id. */
function concreteUrl(url: string): string {
  return url.replace(
    /:([A-Za-z_]+)(\.json)?/g,
    (_m, _name, ext: string | undefined) => `x_missing${ext ?? ''}`,
  );
}

/** A built-in role that lacks the action, to prove a 403 for it. */
function roleLacking(action: string): string | undefined {
  return Object.entries(builtinRoles).find(([, role]) => !role.actions.includes(action))?.[0];
}

/**
 * The shared auth rules, checked for every route that declares an action (or those passed):
 * no token → 401, an unknown token → 401, a valid token whose roles lack the action → 403 that
 * names the action. `errorMessage` extracts the message from the face's error format.
 */
export async function expectAuthRules(
  t: TestApp,
  options: { prefix?: string; errorMessage?: (body: unknown) => string } = {},
): Promise<number> {
  const message = options.errorMessage ?? ((body: unknown) => JSON.stringify(body));
  const routes = t.app.server.routeCatalog.filter(
    (r) => r.action && (!options.prefix || r.url.startsWith(options.prefix)),
  );
  const tokens = new Map<string, string>();
  for (const route of routes) {
    const url = concreteUrl(route.url);
    const method = route.method as 'GET';
    const anonymous = await t.request({ method, url });
    expect(anonymous.statusCode, `${route.method} ${route.url} without token`).toBe(401);
    const unknown = await t.request({ method, url, token: 'sl_thisIsNotAValidTokenAtAllxxxxxxxxxxxxxxxx' });
    expect(unknown.statusCode, `${route.method} ${route.url} with unknown token`).toBe(401);
    const role = roleLacking(route.action ?? '');
    if (!role) continue;
    if (!tokens.has(role)) tokens.set(role, await createToken(t, role));
    const denied = await t.request({ method, url, token: tokens.get(role) });
    expect(denied.statusCode, `${route.method} ${route.url} as ${role}`).toBe(403);
    expect(message(denied.json()), `${route.method} ${route.url} 403 names the action`).toContain(
      route.action,
    );
  }
  return routes.length;
}
