import { CompiledQuery, sql } from 'kysely';
import { constantTimeEqual, randomSecret, sha256Hex } from '../../platform/crypto/crypto.js';
import type { Db, Executor } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { iamRepo } from '../iam/iam.repo.js';
import { type Actor, mayGrant, requireAction } from './actor.js';

export const TOKEN_PREFIX = 'sl_';
const LAST_USED_RESOLUTION_MS = 60_000;

export interface TokenInfo {
  id: string;
  name: string;
  role: string;
  hint: string;
  apiVersion: string;
  personId: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface CreateTokenInput {
  name: string;
  /** Role name (built-in or custom). */
  role: string;
  expiresAt?: string | null;
  personId?: string | null;
  apiVersion?: '1.0' | '1.1';
}

/** An RFC 3339 / ISO 8601 date-time: seconds, optional fraction, a zone (Z or ±hh:mm). */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** Whether every field of a DATE_TIME match is in range (Date rolls `2027-02-30` into March). */
function inRange(match: RegExpExecArray): boolean {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, zoneHour = 0, zoneMinute = 0] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    zoneHour <= 23 &&
    zoneMinute <= 59
  );
}

/**
 * An expiry as stored: UTC with milliseconds, so that it compares as an instant (a value with an
 * offset, `…T12:00:00+05:00`, compared as text, outlived its expiry by five hours). A date alone,
 * no zone, or an impossible field is `bad_request` naming `expiresAt`.
 */
export function expiryInstant(value: string): string {
  const match = DATE_TIME.exec(value);
  if (!match || !inRange(match)) {
    throw new AppError(
      'bad_request',
      `expiresAt: '${value.slice(0, 40)}' is not an ISO 8601 date-time with a time zone (e.g. 2027-01-31T18:00:00Z)`,
      { field: 'expiresAt' },
    );
  }
  return new Date(value).toISOString();
}

/**
 * When a stored expiry ends the token (ms since the epoch). A value that is not a date-time (one
 * stored before expiries were checked) ends it at once: a token fails closed.
 */
function expiryMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Generates a new token secret: `sl_` + 43 URL-safe characters (256 random bits). */
export function generateToken(): string {
  return randomSecret(TOKEN_PREFIX);
}

/**
 * Inserts a token without authorization checks (bootstrap, tenant creation). The plaintext is
 * hashed; only the hash and a four-character hint are stored.
 */
export async function insertToken(
  db: Executor,
  tenantId: string,
  input: { name: string; roleId: string; plaintext: string; createdBy: string | null } & Omit<
    CreateTokenInput,
    'name' | 'role'
  >,
): Promise<string> {
  const id = newId('tok');
  await db
    .insertInto('api_tokens')
    .values({
      tenant_id: tenantId,
      id,
      name: input.name,
      token_hash: sha256Hex(input.plaintext),
      token_hint: input.plaintext.slice(-4),
      role_id: input.roleId,
      person_id: input.personId ?? null,
      api_version: input.apiVersion ?? '1.1',
      expires_at: input.expiresAt ?? null,
      revoked_at: null,
      last_used_at: null,
      created_by: input.createdBy,
      created_at: nowIso(),
    })
    .execute();
  return id;
}

/** Tokens: authentication of bearer secrets and their administration. */
interface TokenRow {
  tenant_id: string;
  id: string;
  name: string;
  token_hash: string;
  role_id: string;
  person_id: string | null;
  api_version: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  email: string | null;
  person_status: string | null;
  /** Effective action names, space-separated (see iamRepo.effectiveActionsColumn). */
  actions: string;
}

/**
 * The token holding a hash, with its person's email and status and its effective actions (its
 * role's, and its person's own and through groups): one statement, one round trip on PostgreSQL.
 */
function tokenByHash(hash: string) {
  const actions = iamRepo.effectiveActionsColumn(
    sql.raw('t.tenant_id'),
    sql.raw('t.role_id'),
    sql.raw('t.person_id'),
  );
  return sql<TokenRow>`select t.tenant_id, t.id, t.name, t.token_hash, t.role_id, t.person_id, t.api_version,
      t.expires_at, t.revoked_at, t.last_used_at, p.email, p.status as person_status, ${actions} as actions
    from api_tokens t left join people p on p.tenant_id = t.tenant_id and p.id = t.person_id
    where t.token_hash = ${hash}`;
}

/** A token's row and its effective actions as a set (read-only: one set serves every request). */
interface ReadToken {
  row: TokenRow;
  actions: ReadonlySet<string>;
  /** When it expires (ms since the epoch), if it does. */
  expiresMs: number | undefined;
}

function actionSet(names: string): ReadonlySet<string> {
  const actions = new Set<string>();
  for (const action of names.split(' ')) if (action) actions.add(action);
  return actions;
}

/** How many tokens' rows the SQLite store keeps between requests (cleared when full). */
const TOKEN_CACHE_SIZE = 1000;

export function createTokensService({
  db,
  changeStamp,
}: {
  db: Db;
  changeStamp?: (() => string) | undefined;
}) {
  // Every request of every face authenticates: the statement is compiled once (for this store's
  // dialect) and run with each request's hash, so it neither goes through Kysely's compiler nor
  // hands the statement cache a new SQL string to hash each time.
  let authenticateSql: string | undefined;
  const readRow = async (hash: string): Promise<TokenRow | undefined> => {
    authenticateSql ??= tokenByHash('').compile(db).sql;
    return (await db.executeQuery<TokenRow>(CompiledQuery.raw(authenticateSql, [hash]))).rows[0];
  };
  // On SQLite a token's row is kept with the store's change stamp taken before it was read, and
  // reused only while the stamp is the same: while nothing at all was written to the database
  // since, by anyone. Any write (a revoked token, a changed role, a deactivated person, but also
  // an unrelated sync) makes the next request read afresh, so role, permission and token changes
  // still apply on the next request. PostgreSQL has no such stamp: it reads every time.
  const cache = new Map<string, { stamp: string; token: ReadToken }>();
  const readToken = async (hash: string): Promise<ReadToken | undefined> => {
    const row = await readRow(hash);
    return row && { row, actions: actionSet(row.actions), expiresMs: expiryMs(row.expires_at) };
  };
  const tokenOf = async (hash: string): Promise<ReadToken | undefined> => {
    if (!changeStamp) return readToken(hash);
    const stamp = changeStamp();
    const hit = cache.get(hash);
    if (hit?.stamp === stamp) return hit.token;
    const token = await readToken(hash);
    if (token) {
      if (cache.size >= TOKEN_CACHE_SIZE) cache.clear();
      cache.set(hash, { stamp, token });
    }
    return token;
  };
  return {
    /**
     * Resolves a bearer secret to an actor, or throws 401. Revoked and expired tokens, and tokens
     * of deactivated people, are refused.
     */
    async authenticate(secret: string, requestId?: string): Promise<Actor> {
      if (!secret.startsWith(TOKEN_PREFIX)) throw new AppError('unauthorized', 'Invalid API token');
      const hash = sha256Hex(secret);
      const token = await tokenOf(hash);
      // The index lookup is by hash; the comparison below is constant-time on the stored value.
      if (!token || !constantTimeEqual(token.row.token_hash, hash))
        throw new AppError('unauthorized', 'Invalid API token');
      const { row, actions, expiresMs } = token;
      const now = nowIso();
      if (row.revoked_at) throw new AppError('unauthorized', 'API token has been revoked');
      if (expiresMs !== undefined && expiresMs <= Date.now())
        throw new AppError('unauthorized', 'API token has expired');
      if (row.person_id && row.person_status !== 'active') {
        throw new AppError('unauthorized', 'API token belongs to a deactivated person');
      }
      if (!row.last_used_at || Date.parse(row.last_used_at) < Date.now() - LAST_USED_RESOLUTION_MS) {
        await db
          .updateTable('api_tokens')
          .set({ last_used_at: now })
          .where('tenant_id', '=', row.tenant_id)
          .where('id', '=', row.id)
          .execute();
      }
      return {
        tenantId: row.tenant_id,
        type: 'token',
        id: row.id,
        name: row.name,
        email: row.email ?? null,
        personId: row.person_id,
        roleIds: [row.role_id],
        actions,
        apiVersion: row.api_version,
        requestId,
      };
    },

    /**
     * Creates a token and returns its secret (shown once). A caller can only hand out a role whose
     * actions it holds itself.
     */
    async create(actor: Actor, input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
      requireAction(actor, 'tokens:write');
      return db.transaction().execute(async (trx) => {
        const role = await iamRepo.findRoleByName(trx, actor.tenantId, input.role);
        if (!role) throw new AppError('bad_request', `role: unknown role '${input.role}'`, { field: 'role' });
        // Every action the role's statements name, on any resource: what the role hands out.
        const roleActions = await iamRepo.listRoleActions(trx, actor.tenantId, role.id);
        const missing = roleActions.filter((a) => !mayGrant(actor, a));
        if (missing.length > 0) {
          throw new AppError(
            'forbidden',
            `Cannot grant role '${input.role}': it includes actions you do not hold (${missing.slice(0, 5).join(', ')})`,
            { missing },
          );
        }
        const expiresAt = input.expiresAt ? expiryInstant(input.expiresAt) : null;
        if (expiresAt && Date.parse(expiresAt) <= Date.now()) {
          throw new AppError('bad_request', `expiresAt: ${input.expiresAt} is not in the future`, {
            field: 'expiresAt',
          });
        }
        if (input.personId) {
          const person = await trx
            .selectFrom('people')
            .select('id')
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', input.personId)
            .executeTakeFirst();
          if (!person)
            throw new AppError('bad_request', `personId: no person ${input.personId}`, { field: 'personId' });
        }
        const plaintext = generateToken();
        const id = await insertToken(trx, actor.tenantId, {
          ...input,
          expiresAt,
          roleId: role.id,
          plaintext,
          createdBy: actor.id,
        });
        await recordAudit(trx, actor, {
          action: 'token.created',
          targetType: 'token',
          targetId: id,
          details: { name: input.name, role: input.role, expiresAt },
        });
        const [info] = await listInfo(trx, actor.tenantId, id);
        if (!info) throw new AppError('internal', 'Token vanished after insert');
        return { token: plaintext, info };
      });
    },

    async list(actor: Actor): Promise<TokenInfo[]> {
      requireAction(actor, 'tokens:read');
      return listInfo(db, actor.tenantId);
    },

    async get(actor: Actor, id: string): Promise<TokenInfo> {
      requireAction(actor, 'tokens:read');
      const [info] = await listInfo(db, actor.tenantId, id);
      if (!info) throw notFound('Token', id);
      return info;
    },

    /** Revokes a token; it stops working on the next request. Revoking twice is a no-op. */
    async revoke(actor: Actor, id: string): Promise<TokenInfo> {
      requireAction(actor, 'tokens:write');
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('api_tokens')
          .select(['id', 'revoked_at'])
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
        if (!existing) throw notFound('Token', id);
        if (!existing.revoked_at) {
          await trx
            .updateTable('api_tokens')
            .set({ revoked_at: nowIso() })
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', id)
            .execute();
          await recordAudit(trx, actor, { action: 'token.revoked', targetType: 'token', targetId: id });
        }
        const [info] = await listInfo(trx, actor.tenantId, id);
        if (!info) throw notFound('Token', id);
        return info;
      });
    },
  };
}

/** Token descriptions of a tenant (one when an id is given), oldest first. Never the hash. */
async function listInfo(db: Executor, tenantId: string, id?: string): Promise<TokenInfo[]> {
  let query = db
    .selectFrom('api_tokens as t')
    // A left join: a revoked token whose role was deleted since is still listed.
    .leftJoin('iam_roles as r', (j) =>
      j.onRef('r.tenant_id', '=', 't.tenant_id').onRef('r.id', '=', 't.role_id'),
    )
    .select([
      't.id',
      't.name',
      't.role_id',
      'r.name as role',
      't.token_hint',
      't.api_version',
      't.person_id',
      't.expires_at',
      't.revoked_at',
      't.last_used_at',
      't.created_at',
    ])
    .where('t.tenant_id', '=', tenantId);
  if (id !== undefined) query = query.where('t.id', '=', id);
  const rows = await query.orderBy('t.id').execute();
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    role: t.role ?? `(deleted role ${t.role_id})`,
    hint: `${TOKEN_PREFIX}…${t.token_hint}`,
    apiVersion: t.api_version,
    personId: t.person_id,
    // As an instant; a stored value that is none ended the token when it was made (expiryMs).
    expiresAt:
      t.expires_at === null
        ? null
        : new Date(expiryMs(t.expires_at) || Date.parse(t.created_at)).toISOString(),
    revokedAt: t.revoked_at,
    lastUsedAt: t.last_used_at,
    createdAt: t.created_at,
  }));
}

export type TokensService = ReturnType<typeof createTokensService>;
