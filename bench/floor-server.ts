// The floor of GET /v1/me: a bare Fastify server that does one indexed lookup per request on the same
// database as the server measured beside it (a WAL SQLite file, or PostgreSQL), and nothing else: no
// logging, no rate limits, no schemas. Lanyard's session check is reported as a ratio to its rate.
//
//   node --import tsx bench/floor-server.ts sqlite FILE SESSIONS
//   node --import tsx bench/floor-server.ts postgres URL SESSIONS
//
// It fills floor_sessions with SESSIONS rows whose tokens are floorToken(i), then prints its URL.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { floorToken } from './floor.js';

const [kind, where, count] = process.argv.slice(2);
const sessions = Number(count);
const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');
const BATCH = 1000;

let lookup: (tokenHash: string) => Promise<{ account_id: string; expires_at: number } | undefined>;
if (kind === 'sqlite') {
  const db = new Database(where!);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS floor_sessions (token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, expires_at INTEGER NOT NULL)',
  );
  const insert = db.prepare('INSERT OR IGNORE INTO floor_sessions VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < sessions; i++) insert.run(hashOf(floorToken(i)), `account-${i}`, Date.now() + 86_400_000);
  })();
  const select = db.prepare('SELECT account_id, expires_at FROM floor_sessions WHERE token_hash = ?');
  lookup = async (tokenHash) => select.get(tokenHash) as { account_id: string; expires_at: number } | undefined;
} else {
  // As many connections as Lanyard's own pool (src/db/database.ts).
  const pool = new pg.Pool({ connectionString: where, max: 10 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS floor_sessions (token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, expires_at BIGINT NOT NULL)',
  );
  for (let i = 0; i < sessions; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, sessions - i) }, (_, j) => [
      hashOf(floorToken(i + j)),
      `account-${i + j}`,
      Date.now() + 86_400_000,
    ]);
    await pool.query(
      `INSERT INTO floor_sessions SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }
  await pool.query('ANALYZE floor_sessions');
  lookup = async (tokenHash) => {
    const result = await pool.query({
      name: 'floor-lookup',
      text: 'SELECT account_id, expires_at FROM floor_sessions WHERE token_hash = $1',
      values: [tokenHash],
    });
    return result.rows[0] as { account_id: string; expires_at: number } | undefined;
  };
}

const app = Fastify();
app.get('/v1/me', async (request, reply) => {
  const token = (request.headers.authorization ?? '').slice('Bearer '.length);
  const row = await lookup(hashOf(token));
  if (!row || Number(row.expires_at) < Date.now()) return reply.code(401).send({ code: 'unauthenticated' });
  return { id: row.account_id };
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`floor running at ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
