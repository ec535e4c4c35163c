// Issue 14: is the sign-in path's own query layer (QueryTemplate + AtomicWrites: a session and its event
// written by templates compiled once, in one statement of CTEs on PostgreSQL) worth keeping over plain
// Kysely (the two inserts built each time, in a transaction)? This measures the CPU each way costs per
// sign-in, in this process and in the PostgreSQL backend, paired in alternating blocks, on both databases:
// set against the CPU of one argon2id verification, it says how much of the sign-in ratio it can move.
//
//   node --import tsx bench/signin-writes.ts [blocks] [per-block]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { uuidv7 } from 'uuidv7';
import { hashPassword, verifyPassword } from '../src/crypto/passwords.js';
import { AtomicWrites } from '../src/db/atomic.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { QueryTemplate } from '../src/db/query-template.js';
import type { SecurityEventRow, SessionRow } from '../src/db/schema.js';
import { SECURITY_EVENT_COLUMNS, SecurityEventRepository } from '../src/events/repository.js';
import { SESSION_COLUMNS, SessionRepository } from '../src/sessions/repository.js';
import { withCpuShare } from './cpu.js';
import { createBenchDatabase } from './postgres.js';
import { median, round } from './stats.js';

const blocks = Number(process.argv[2] ?? 8);
const perBlock = Number(process.argv[3] ?? 400);

async function measure(database: 'sqlite' | 'postgres') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-signin-writes-'));
  const pg = database === 'postgres' ? await createBenchDatabase() : undefined;
  const handle = openDatabase(pg ? { url: pg.url } : { sqlitePath: path.join(dir, 'lanyard.db') });
  try {
    await migrateToLatest(handle.db);
    const { db } = handle;
    const accountId = uuidv7();
    const now = Date.now();
    await db
      .insertInto('accounts')
      .values({
        id: accountId,
        status: 'active',
        email_lookup: `lookup-${accountId}`,
        phone_lookup: null,
        email_sealed: null,
        phone_sealed: null,
        name_sealed: null,
        password_hash: 'x',
        role: 'user',
        locale: 'en',
        created_at: now,
        updated_at: now,
        password_changed_at: now,
      })
      .execute();
    const sessions = new SessionRepository(db);
    const events = new SecurityEventRepository(db);
    const atomic = new AtomicWrites(db, handle.dialect, (slot) => [
      sessions.pendingCreate(QueryTemplate.rowOf(slot, 'session', SESSION_COLUMNS)),
      events.pendingCreate(QueryTemplate.rowOf(slot, 'event', SECURITY_EVENT_COLUMNS)),
    ]);
    const rows = () => {
      const at = Date.now();
      const session: SessionRow = {
        account_id: accountId,
        id: uuidv7(),
        token_hash: randomBytes(32).toString('base64url'),
        kind: 'api',
        created_at: at,
        last_used_at: at,
        expires_at: at + 86_400_000,
        reauthenticated_at: at,
        origin_sealed: 'sealed-origin-of-the-bench',
      };
      const event: SecurityEventRow = {
        account_id: accountId,
        id: uuidv7(),
        type: 'sign_in',
        at,
        origin_sealed: 'sealed-origin-of-the-bench',
        detail_sealed: null,
      };
      return { session, event };
    };
    const ways = {
      template: async () => atomic.run(rows()),
      kysely: async () => {
        const { session, event } = rows();
        await db.transaction().execute(async (trx) => {
          await sessions.pendingCreate(session, trx).execute();
          await events.pendingCreate(event, trx).execute();
        });
      },
    };
    // Kysely alone can also make the one statement on PostgreSQL (a data-modifying CTE): what a sign-in
    // would use without the templates, built and compiled on every call.
    const kyselyOneStatement = async () => {
      const { session, event } = rows();
      if (handle.dialect !== 'postgres') return ways.kysely();
      await db
        .with('w0', (qb) => qb.insertInto('sessions').values(session))
        .insertInto('security_events')
        .values(event)
        .execute();
    };
    Object.assign(ways, { kyselyOneStatement });
    const perWay: Record<string, number[]> = { template: [], kysely: [], kyselyOneStatement: [] };
    for (let b = 0; b < blocks + 1; b++) {
      // Alternating order, the first block of each a warm-up that is not kept.
      const order = ['template', 'kysely', 'kyselyOneStatement'];
      for (const name of b % 2 ? order.reverse() : order) {
        const way = (ways as Record<string, () => Promise<void>>)[name]!;
        const { cpu } = await withCpuShare(process.pid, pg?.name, async () => {
          for (let i = 0; i < perBlock; i++) await way();
        });
        if (b > 0 && cpu) {
          const seconds = cpu.serverCpuSeconds / (cpu.serverCores || 1);
          perWay[name]!.push(((cpu.serverCpuSeconds + cpu.databaseCores * seconds) / perBlock) * 1e6);
        }
      }
    }
    return {
      template: round(median(perWay.template!), 1),
      kysely: round(median(perWay.kysely!), 1),
      kyselyOneStatement: round(median(perWay.kyselyOneStatement!), 1),
      blocks: perWay,
    };
  } finally {
    await handle.close();
    if (pg) await pg.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// One argon2id verification's CPU, for scale: the sign-in's cost that neither way changes.
const hash = await hashPassword('bench-password');
const start = process.cpuUsage();
const verifications = 40;
for (let i = 0; i < verifications; i++) await verifyPassword(hash, 'bench-password');
const used = process.cpuUsage(start);
const hashMicros = (used.user + used.system) / verifications;
process.stdout.write(`argon2id verify: ${Math.round(hashMicros)} µs of CPU each\n`);
for (const database of ['sqlite', 'postgres'] as const) {
  const result = await measure(database);
  const extra = result.kysely - result.template;
  process.stdout.write(
    `${database}: a sign-in's writes cost ${result.template} µs of CPU (this process + PostgreSQL backends) with the templates, ${result.kysely} µs with plain Kysely ` +
      `(medians of ${blocks} blocks of ${perBlock}): ${round(extra, 1)} µs more, ${round((100 * extra) / (hashMicros + result.template), 2)} % of a sign-in's CPU; ` +
      `Kysely in one statement (a CTE on PostgreSQL): ${result.kyselyOneStatement} µs, ${round((100 * (result.kyselyOneStatement - result.template)) / (hashMicros + result.template), 2)} % more\n`,
  );
}
