import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * Every app has its app_figures row from the moment it exists (zeros until refreshAppFigures
 * counts it), kept by a trigger whichever path creates the app (push-sync, custom integration,
 * native create, import, demo). The apps list then joins its figures with an inner join, and a
 * page sorted by annual cost is read in the order of the (tenant_id, annual_cost_minor, app_id)
 * index instead of sorting every app of the tenant on each request.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  await sql`insert into app_figures
      (tenant_id, app_id, active_users, total_users, total_licenses, annual_cost_minor, updated_at)
    select a.tenant_id, a.id, 0, 0, 0, 0, a.created_at from apps a
    where not exists (select 1 from app_figures f where f.tenant_id = a.tenant_id and f.app_id = a.id)`.execute(
    db,
  );
  if (dialect === 'postgres') {
    await sql`create function app_figures_row() returns trigger language plpgsql as $$
      begin
        insert into app_figures
          (tenant_id, app_id, active_users, total_users, total_licenses, annual_cost_minor, updated_at)
        values (new.tenant_id, new.id, 0, 0, 0, 0, new.created_at)
        on conflict (tenant_id, app_id) do nothing;
        return null;
      end $$`.execute(db);
    await sql`create trigger apps_figures_row after insert on apps
      for each row execute function app_figures_row()`.execute(db);
  } else {
    await sql`create trigger apps_figures_row after insert on apps begin
        insert into app_figures
          (tenant_id, app_id, active_users, total_users, total_licenses, annual_cost_minor, updated_at)
        values (new.tenant_id, new.id, 0, 0, 0, 0, new.created_at)
        on conflict (tenant_id, app_id) do nothing;
      end`.execute(db);
  }
}

export async function down(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') {
    await sql`drop trigger apps_figures_row on apps`.execute(db);
    await sql`drop function app_figures_row()`.execute(db);
  } else {
    await sql`drop trigger apps_figures_row`.execute(db);
  }
}
