/**
 * A minimal SCIMMY-based SCIM server (scimmy + scimmy-routers on express), in memory, for the
 * `scim` benchmark's side-by-side figure. The way SCIMMY's documentation shows it: the egress
 * handler returns the users, matched with SCIMMY's own `Filter.match`. Usage: `tsx bench/scimmy-server.ts
 * <port> <users.json>`; prints `ready` when listening.
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

interface StoredUser {
  id: string;
  userName: string;
  name: { givenName: string; familyName: string };
  emails: { value: string; type: string; primary: boolean }[];
  active: boolean;
}

const [portArg, file] = process.argv.slice(2);
const users: StoredUser[] = JSON.parse(readFileSync(file ?? '', 'utf8')) as StoredUser[];
const byId = new Map(users.map((u) => [u.id, u]));

SCIMMY.Resources.declare(SCIMMY.Resources.User)
  .egress((resource: { id?: string; filter?: { match(values: StoredUser[]): StoredUser[] } }) => {
    if (resource.id) {
      const user = byId.get(resource.id);
      if (!user) throw new SCIMMY.Types.Error(404, 'noTarget', `User ${resource.id} not found`);
      return user;
    }
    // SCIMMY's own in-memory matcher, as its documentation suggests for simple data sources.
    return resource.filter ? resource.filter.match(users) : users;
  })
  .ingress(() => {
    throw new SCIMMY.Types.Error(501, 'invalidValue', 'read-only benchmark server');
  })
  .degress(() => {
    throw new SCIMMY.Types.Error(501, 'invalidValue', 'read-only benchmark server');
  });

const app = express();
app.use(
  '/scim/v2',
  new SCIMMYRouters({
    type: 'bearer',
    docUri: 'https://example.com/bench',
    handler: (request: { header(name: string): string | undefined }) => {
      if (!request.header('Authorization')?.startsWith('Bearer '))
        throw new Error('Authorization not detected');
      return 'bench';
    },
  }),
);
app.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
