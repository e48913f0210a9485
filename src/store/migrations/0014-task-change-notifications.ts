import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * PostgreSQL: every change of what a task's document shows is announced on `cce_upgrade_tasks` as
 * `<schema>/<task id>/<fence>`, delivered at commit to every replica listening, so that the ones answering from memory
 * forget the task. SQLite has no notifications: its readers look at the database's change count instead.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create function upgrade_task_changed() returns trigger language plpgsql as $$
    declare
      task upgrade_tasks;
    begin
      if tg_op = 'DELETE' then task := old; else task := new; end if;
      perform pg_notify('cce_upgrade_tasks', tg_table_schema || '/' || task.id || '/' || task.fence);
      return null;
    end
    $$`.execute(db);
  await sql`create trigger upgrade_tasks_announce_insert_delete after insert or delete on upgrade_tasks
    for each row execute function upgrade_task_changed()`.execute(db);
  // Lease renewals and claims change none of the document: they are not announced.
  await sql`create trigger upgrade_tasks_announce_update after update on upgrade_tasks for each row
    when ((old.phase, old.progress, old.failure_reason, old.from_version, old.target_version, old.created_at,
           old.updated_at, old.completed_at)
      is distinct from (new.phase, new.progress, new.failure_reason, new.from_version, new.target_version,
           new.created_at, new.updated_at, new.completed_at))
    execute function upgrade_task_changed()`.execute(db);
}
