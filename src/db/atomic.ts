import { sql, type Compilable, type OperationNodeSource } from 'kysely';
import type { DialectName } from './database.js';
import type { Db } from './schema.js';

/** An insert, update or delete built with Kysely and not executed yet. */
export type PendingWrite = Compilable & OperationNodeSource;

/**
 * A few writes that always go together, run all or nothing in as few round trips as the database allows.
 * On PostgreSQL they become one statement of data-modifying CTEs: one round trip instead of BEGIN, each
 * write and COMMIT, which is most of the database's share of a sign-in (3–4 % of its CPU, measured by
 * bench/README.md's paired runs). On SQLite, in the process, there is no round trip to save and a
 * transaction does it.
 *
 * The writes must not depend on one another's effects: in one PostgreSQL statement they all see the
 * database as it was before it.
 */
export async function writeAtomically(db: Db, dialect: DialectName, writes: PendingWrite[]): Promise<void> {
  if (writes.length === 0) return;
  if (dialect === 'postgres') {
    await db.executeQuery(atomicStatement(writes).compile(db));
    return;
  }
  const queries = writes.map((write) => write.compile());
  await db.transaction().execute(async (trx) => {
    for (const query of queries) await trx.executeQuery(query);
  });
}

/** `WITH w0 AS (…), w1 AS (…) <last write>`: exported for tests of the SQL it makes. */
export function atomicStatement(writes: PendingWrite[]) {
  const last = writes[writes.length - 1]!;
  if (writes.length === 1) return sql`${last}`;
  const ctes = writes.slice(0, -1).map((write, i) => sql`${sql.id(`w${i}`)} AS (${write})`);
  return sql`WITH ${sql.join(ctes)} ${last}`;
}
