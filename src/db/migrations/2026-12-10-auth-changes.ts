import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

// Issue 18: each server process keeps the sessions it has checked in memory, so that a session check need
// not read the database. These triggers say, in the transaction of the change, that an account's session
// or account row changed in a way a check reads (a session ended or made fresh, a status, role, locale or
// profile changed), whoever wrote it: this server, another one, `lanyard worker`, a command or an
// operator's SQL. A session's last use (last_used_at alone) is not such a change.
//
// SQLite: a row in auth_changes, which every process reads on its next check (src/db/auth-changes.ts).
// PostgreSQL: NOTIFY on lanyard_auth_changes with the account id, delivered to every listening process
// when the transaction commits; the table exists there too (the erasure empties it on both) but stays empty.
const CHANNEL = 'lanyard_auth_changes';
const SESSION_COLUMNS = 'account_id, id, token_hash, kind, expires_at, reauthenticated_at';

export async function up(db: Kysely<any>): Promise<void> {
  const onPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (onPostgres) {
    await sql`CREATE TABLE auth_changes (seq BIGSERIAL PRIMARY KEY, account_id TEXT NOT NULL)`.execute(db);
    // The account id's column is the trigger's argument: account_id in sessions, id in accounts.
    await sql
      .raw(`CREATE FUNCTION lanyard_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('${CHANNEL}', to_jsonb(OLD) ->> TG_ARGV[0]);
          RETURN NULL;
        END $$`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER sessions_auth_changed AFTER DELETE OR UPDATE OF ${SESSION_COLUMNS} ON sessions
        FOR EACH ROW EXECUTE FUNCTION lanyard_auth_changed('account_id')`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER accounts_auth_changed AFTER UPDATE ON accounts
        FOR EACH ROW EXECUTE FUNCTION lanyard_auth_changed('id')`)
      .execute(db);
  } else {
    // AUTOINCREMENT: a seq is never given twice, even after the newest rows are deleted, so that a reader
    // that finds fewer rows than the sequence has handed out knows that it missed some.
    await sql`CREATE TABLE auth_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL)`.execute(db);
    await sql
      .raw(`CREATE TRIGGER sessions_deleted_auth_changed AFTER DELETE ON sessions
        BEGIN INSERT INTO auth_changes (account_id) VALUES (OLD.account_id); END`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER sessions_updated_auth_changed AFTER UPDATE OF ${SESSION_COLUMNS} ON sessions
        BEGIN INSERT INTO auth_changes (account_id) VALUES (OLD.account_id); END`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER accounts_updated_auth_changed AFTER UPDATE ON accounts
        BEGIN INSERT INTO auth_changes (account_id) VALUES (OLD.id); END`)
      .execute(db);
  }
  // The erasure deletes an account's rows by account_id.
  await db.schema.createIndex('auth_changes_account').on('auth_changes').column('account_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`DROP TRIGGER sessions_auth_changed ON sessions`.execute(db);
    await sql`DROP TRIGGER accounts_auth_changed ON accounts`.execute(db);
    await sql`DROP FUNCTION lanyard_auth_changed()`.execute(db);
  } else {
    for (const trigger of [
      'sessions_deleted_auth_changed',
      'sessions_updated_auth_changed',
      'accounts_updated_auth_changed',
    ])
      await sql.raw(`DROP TRIGGER ${trigger}`).execute(db);
  }
  await db.schema.dropTable('auth_changes').execute();
}
