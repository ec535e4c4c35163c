import assert from 'node:assert/strict';
import SqliteDatabase from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { deriveServerKeys } from '../crypto/keys.js';
import { hmac } from '../crypto/tokens.js';
import { createCliDatabase, runCli, startServer, tempDataDir, type RunningServer } from '../testing/cli.js';
import type { TestDatabase } from '../testing/test-app.js';
import { assertIntact, call, confirmDeletion, fillAccount, type SpawnedAccount } from './spawned.js';
import { filesContaining } from './test-helpers.js';

// Crash safety: the real server (bin/lanyard.js serve) is killed with SIGKILL at random points of an
// erasure, again and again, and restarted each time. After every kill the other account's rows are all
// there and the erasure has lost no completed step; at the end of each deletion nothing of the account
// is left and the other account works. A short job lease lets the restarted worker take the erasure
// back within a second, and one-row batches (LANYARD_ERASURE_BATCH_SIZE=1) make the erasure long enough
// to be interrupted many times: both are real settings of the server, not fakes.

const MAX_ROUNDS = 20;
/** Far more than an erasure needs (a large one takes its share of kills, then is let finish). */
const MAX_RESTARTS_PER_ERASURE = 80;
/** The last kills go to small accounts: see `sizeFor`. */
const SMALL_KILLS = 6;

/**
 * Large accounts first: an erasure of one-row batches spans many restarts, so nearly every kill lands
 * while rows are deleted (the bulk of an erasure). Then small ones, whose whole erasure fits in a kill
 * window, so that kills also land in the short steps (the data key, the tombstone log, blobs, the
 * account row, the tombstone, the checkpoint). A kill comes at a random moment within a window after
 * the confirmation or the server's (and its worker's) start; for small accounts the window follows the
 * machine's speed: wider when a kill found no progress, narrower when the erasure was already done.
 */
function sizeFor(kills: number, killsWanted: number): { items: number; quota: number; small: boolean } {
  return kills < killsWanted - SMALL_KILLS
    ? { items: 1500, quota: killsWanted - SMALL_KILLS, small: false }
    : { items: 15, quota: Infinity, small: true };
}
const OTHER_TABLES = [
  'accounts',
  'cloud_items',
  'cloud_accounts',
  'devices',
  'device_locks',
  'sessions',
  'security_events',
];

interface ErasureState {
  steps: string[];
  finished: boolean;
  otherRows: Record<string, number>;
}

/** Reads the database while no server runs. */
type Reader = (query: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * SQLite is read from a copy of its files: opening the originals would recover and checkpoint the WAL on
 * close, and the next server must find the crash as it was.
 */
function sqliteReader(dataDir: string): Reader {
  return async (query, params) => {
    const copy = fs.mkdtempSync(path.join(dataDir, '..', 'lanyard-crash-copy-'));
    try {
      for (const suffix of ['', '-wal']) {
        const file = path.join(dataDir, `lanyard.db${suffix}`);
        if (fs.existsSync(file)) fs.copyFileSync(file, path.join(copy, `lanyard.db${suffix}`));
      }
      const sqlite = new SqliteDatabase(path.join(copy, 'lanyard.db'), { fileMustExist: true });
      try {
        return sqlite.prepare(query.replace(/\$\d+/g, '?')).all(...params) as Array<Record<string, unknown>>;
      } finally {
        sqlite.close();
      }
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  };
}

function postgresReader(url: string): Reader {
  return async (query, params) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(query, params)).rows;
    } finally {
      await client.end();
    }
  };
}

/** Kills and restarts the server through erasures until `killsWanted` kills landed mid-erasure; returns a summary. */
export async function runCrashScenario(database: TestDatabase, killsWanted: number): Promise<string> {
  const dataDir = tempDataDir();
  const store = await createCliDatabase(database);
  const masterKey = randomBytes(32);
  const env = {
    ...store.env,
    LANYARD_DATA_DIR: dataDir,
    LANYARD_MASTER_KEY: masterKey.toString('hex'),
    LANYARD_LOG_LEVEL: 'warn',
    LANYARD_JOB_LEASE_S: '1',
    LANYARD_ERASURE_BATCH_SIZE: '1',
  };
  const read = database === 'sqlite' ? sqliteReader(dataDir) : postgresReader(store.env.LANYARD_DATABASE_URL!);
  const hashOf = (accountId: string) => hmac(deriveServerKeys(masterKey).lookup, 'tombstone', accountId);
  let server: RunningServer | undefined;

  // One statement: on SQLite each read copies the database files.
  const counts = OTHER_TABLES.map(
    (table) =>
      `(SELECT count(*) FROM ${table}, given WHERE ${table === 'accounts' ? 'id' : 'account_id'} = given.other) AS ${table}`,
  ).join(', ');
  const readState = async (victimId: string, otherId: string): Promise<ErasureState> => {
    const [row] = await read(
      `WITH given AS (SELECT CAST($1 AS TEXT) AS victim, CAST($2 AS TEXT) AS other)
       SELECT erasures.status, erasures.steps, erasures.job_id, ${counts}
       FROM erasures, given WHERE erasures.account_hash = given.victim`,
      [hashOf(victimId), otherId],
    );
    assert.ok(row, 'the erasure is recorded');
    const otherRows: Record<string, number> = {};
    for (const table of OTHER_TABLES) otherRows[table] = Number(row[table]);
    return {
      steps: JSON.parse(String(row.steps)) as string[],
      finished: row.status === 'erased' && row.job_id === null,
      otherRows,
    };
  };

  const assertGone = async (victim: SpawnedAccount) => {
    for (const token of [victim.token, ...victim.sessions, ...victim.deviceTokens])
      assert.equal((await call(server!.url, 'GET', '/v1/cloud', { token })).status, 401);
    for (const login of [victim.email, victim.phone])
      assert.equal(
        (await call(server!.url, 'POST', '/v1/sessions', { body: { login, password: victim.password } })).status,
        401,
      );
    const strings = [victim.email, victim.phone, victim.name, victim.marker, victim.id];
    // The person's data (email, phone, name, item content, photo bytes) is in no byte of any file. The
    // account id is in no row and no WAL; on SQLite, though, a copy of it can stay in the unused gap of a
    // live page that a b-tree balance rebuilt while the account's rows were on it (SQLite's rebuildPage
    // does not zero that gap, and secure_delete only zeroes deleted cells and freed pages), until a VACUUM
    // (`lanyard doctor --vacuum`).
    // It is a random id that no row links to anyone any more; see the closing note of this issue.
    const content = [victim.email, victim.phone, victim.name, victim.marker];
    // The dev outbox stands for the person's mailbox and phone, outside the server: it keeps what was sent.
    const outbox = (file: string) => file.endsWith('outbox.jsonl');
    const inFiles = [
      ...filesContaining(dataDir, [...content, victim.photo.subarray(20_000, 20_048)], outbox),
      ...filesContaining(
        dataDir,
        [victim.id],
        (file) => outbox(file) || (database === 'sqlite' && file.endsWith('lanyard.db')),
      ),
    ];
    if (database === 'sqlite') {
      // Every column of every table, in one statement (each read copies the files).
      const columns = await read(
        `SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`,
        [],
      );
      // The needles are this test's own strings, written into the SQL as literals.
      const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
      const anyNeedle = (column: string) =>
        strings.map((needle) => `instr(CAST("${column}" AS TEXT), ${literal(needle)}) > 0`).join(' OR ');
      const union = columns
        .map(
          ({ t, c }) =>
            `SELECT '${String(t)}.${String(c)}' AS place WHERE EXISTS (SELECT 1 FROM "${String(t)}" WHERE ${anyNeedle(String(c))})`,
        )
        .join(' UNION ALL ');
      for (const { place } of await read(union, []))
        inFiles.push(`live row: ${String(place)} holds one of the account's strings`);
    }
    assert.deepEqual(inFiles, []);
    if (database === 'postgres') {
      const columns = await read(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`,
        [],
      );
      for (const { table_name, column_name } of columns) {
        for (const needle of strings) {
          const found = await read(
            `SELECT 1 FROM "${String(table_name)}" WHERE position($1 in "${String(column_name)}"::text) > 0 LIMIT 1`,
            [needle],
          );
          assert.equal(found.length, 0, `${String(table_name)}.${String(column_name)} holds ${needle}`);
        }
      }
    }
  };

  /** Lets the server finish an erasure undisturbed, looking between graceful stops (SIGTERM: the link in hand ends first). */
  const waitForErasure = async (victimId: string, otherId: string) => {
    for (let i = 0; i < 60; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      server!.process.signal('SIGTERM');
      assert.equal((await server!.process.exit()).code, 0);
      const { finished } = await readState(victimId, otherId);
      server = await startServer(env);
      if (finished) return;
    }
    assert.fail('the erasure did not complete');
  };

  try {
    server = await startServer(env);
    const other = await fillAccount(server.url, dataDir, 40);
    let kills = 0;
    let rounds = 0;
    let otherRows: Record<string, number> | undefined;
    const landed = new Map<string, number>();
    let smallWindow = 60;
    while (kills < killsWanted && rounds < MAX_ROUNDS) {
      rounds += 1;
      const { items, quota, small } = sizeFor(kills, killsWanted);
      const victim = await fillAccount(server.url, dataDir, items);
      await confirmDeletion(server.url, dataDir, victim);
      let previous: string[] = [];
      // A small erasure ends within a few restarts; one that never does fails here, with where it stopped.
      for (let restarts = 1; ; restarts++) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * (small ? smallWindow : 100)));
        server.process.signal('SIGKILL');
        await server.process.exit();
        server = undefined;
        const state = await readState(victim.id, other.id);
        if (restarts > MAX_RESTARTS_PER_ERASURE)
          assert.fail(
            `an erasure did not end in ${MAX_RESTARTS_PER_ERASURE} restarts; done: ${state.steps.join(', ')}`,
          );
        if (small)
          smallWindow = state.finished
            ? Math.max(20, smallWindow / 1.5)
            : state.steps.length === previous.length
              ? Math.min(2000, smallWindow * 1.5)
              : smallWindow;
        // Nothing completed is lost, nothing is redone out of order: the steps only ever grow.
        assert.deepEqual(state.steps.slice(0, previous.length), previous, 'completed steps survive the crash');
        previous = state.steps;
        otherRows ??= state.otherRows;
        // The other account's sessions and events may only grow (sign-ins of the checks); the rest is as it was.
        const growing = { sessions: 0, security_events: 0 };
        assert.deepEqual(
          { ...state.otherRows, ...growing },
          { ...otherRows, ...growing },
          'the other account lost nothing',
        );
        for (const table of Object.keys(growing))
          assert.ok(state.otherRows[table]! >= otherRows[table]!, `the other account's ${table} are all there`);
        server = await startServer(env);
        // Restarted after every kill, the server takes the erasure back and completes it in the end.
        if (state.finished) break;
        kills += 1;
        const at = state.steps.length <= 1 ? 'before the data key' : `after ${state.steps.at(-1)}`;
        landed.set(at, (landed.get(at) ?? 0) + 1);
        if (kills >= quota) {
          await waitForErasure(victim.id, other.id);
          break;
        }
      }
      await assertGone(victim);
      await assertIntact(server.url, other);
    }
    assert.ok(kills >= killsWanted, `only ${kills} kills landed during an erasure in ${rounds} rounds`);
    server.process.signal('SIGTERM');
    assert.equal((await server.process.exit()).code, 0);
    server = undefined;
    const doctor = await runCli(['doctor'], env);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    return `${kills} kills during ${rounds} erasures: ${[...landed].map(([at, n]) => `${n} ${at}`).join(', ')}`;
  } finally {
    await server?.process.stop();
    await store.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
