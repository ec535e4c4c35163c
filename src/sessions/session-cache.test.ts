import assert from 'node:assert/strict';
import SqliteDatabase from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { AuthChanges, PostgresAuthChanges, SqliteAuthChanges } from '../db/auth-changes.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { SessionWithAccount } from './repository.js';
import type { Api, BearerSession } from '../testing/api-types.js';
import { SessionCache } from './session-cache.js';
import {
  createTestApp,
  TEST_POSTGRES_URL,
  testDatabases,
  type TestApp,
  type TestResponse,
} from '../testing/test-app.js';

const DAY = 86_400_000;

/** A feed whose changes and readiness the test decides. */
class ToldChanges extends AuthChanges {
  ready = true;
  tell(accountId: string | undefined): void {
    this.emit(accountId);
  }
  catchUp(): boolean {
    return this.ready;
  }
  async close(): Promise<void> {}
}

const found = (accountId: string, id: string): SessionWithAccount => ({
  session: {
    account_id: accountId,
    id,
    kind: 'api',
    created_at: 1,
    last_used_at: 1,
    expires_at: 2,
    reauthenticated_at: 1,
  },
  account: {
    id: accountId,
    status: 'active',
    role: 'user',
    locale: 'en',
    created_at: 1,
    email_sealed: null,
    phone_sealed: null,
    name_sealed: null,
  },
});

describe('the cache of session checks', () => {
  test('keeps a session until its account changes, and only what was read since the last change', () => {
    const changes = new ToldChanges();
    const cache = new SessionCache(changes, 10);
    const ticket = cache.begin()!;
    cache.set('hash-a', found('acct-a', 'a'), ticket);
    cache.set('hash-b', found('acct-b', 'b'), ticket);
    assert.equal(cache.get('hash-a')?.session.id, 'a');
    changes.tell('acct-a');
    assert.equal(cache.get('hash-a'), undefined, 'a change to the account drops its sessions');
    assert.equal(cache.get('hash-b')?.session.id, 'b', 'other accounts stay');

    // A read that began before a change is not stored: it may hold what the change replaced.
    const before = cache.begin()!;
    changes.tell('acct-c');
    cache.set('hash-c', found('acct-c', 'c'), before);
    assert.equal(cache.get('hash-c'), undefined);
    cache.set('hash-c', found('acct-c', 'c'), cache.begin()!);
    assert.equal(cache.get('hash-c')?.session.id, 'c');

    changes.tell(undefined);
    assert.equal(cache.size, 0, 'anything may have changed: nothing is kept');
  });

  test('trusts nothing while the feed is behind, and reads through an account this process is writing', () => {
    const changes = new ToldChanges();
    const cache = new SessionCache(changes, 10);
    changes.ready = false;
    assert.equal(cache.begin(), undefined);
    changes.ready = true;
    changes.writing('acct-a');
    cache.set('hash-a', found('acct-a', 'a'), cache.begin()!);
    assert.equal(cache.get('hash-a'), undefined, 'held while its transaction may still commit');
    cache.set('hash-b', found('acct-b', 'b'), cache.begin()!);
    assert.equal(cache.get('hash-b')?.session.id, 'b');
  });

  test('holds at most its capacity, dropping one not checked since it was last looked at', () => {
    // The entries the cache looks at when it needs room, in turn: a, then b (src/bounded-cache.ts).
    const picks = [0.1, 0.5];
    const cache = new SessionCache(new ToldChanges(), 3, () => picks.shift() ?? 0.9);
    for (const name of ['a', 'b', 'c']) cache.set(`hash-${name}`, found(`acct-${name}`, name), cache.begin()!);
    assert.ok(cache.get('hash-a'));
    cache.set('hash-d', found('acct-d', 'd'), cache.begin()!);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('hash-b'), undefined, 'a, just checked, was passed over; b went');
    assert.ok(cache.get('hash-a'));
    assert.ok(cache.get('hash-d'));
  });
});

describe('SQLite changes read by another connection', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-auth-changes-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('are heard at the next check, and a reader that missed some (erased, pruned) forgets everything', async () => {
    const handle = openDatabase({ sqlitePath: path.join(dir, 'lanyard.db') });
    await migrateToLatest(handle.db);
    const feed = new SqliteAuthChanges(handle.sqliteReader!, handle.sqlite!);
    const heard: Array<string | undefined> = [];
    feed.onChange((accountId) => heard.push(accountId));
    // Another process: a connection of its own.
    const other = new SqliteDatabase(path.join(dir, 'lanyard.db'));
    try {
      other
        .prepare(
          "INSERT INTO accounts (id, status, password_hash, role, locale, created_at, updated_at, password_changed_at) VALUES ('acct-1', 'active', 'x', 'user', 'en', 1, 1, 1)",
        )
        .run();
      assert.ok(feed.catchUp());
      assert.deepEqual(heard, [], 'a new account is no change to a session check');
      other.prepare("UPDATE accounts SET role = 'support' WHERE id = 'acct-1'").run();
      assert.ok(feed.catchUp());
      assert.deepEqual(heard, ['acct-1']);
      other.prepare("UPDATE accounts SET locale = 'es' WHERE id = 'acct-1'").run();
      other.prepare("DELETE FROM auth_changes WHERE account_id = 'acct-1'").run();
      assert.ok(feed.catchUp());
      assert.deepEqual(heard, ['acct-1', undefined], 'a change erased before it was read: everything may have changed');
    } finally {
      other.close();
      await handle.close();
    }
  });
});

if (testDatabases().includes('postgres')) {
  describe('PostgreSQL changes heard through LISTEN', () => {
    test('a listener that stops hearing its own heartbeat trusts nothing until it hears it again', async () => {
      const changes = await PostgresAuthChanges.open(TEST_POSTGRES_URL);
      // Only "anything may have changed" counts: other test files on this server notify their own accounts.
      const told: Array<string | undefined> = [];
      changes.onChange((accountId) => accountId === undefined && told.push(accountId));
      const until = async (what: string, holds: () => boolean, ms = 5000) => {
        const deadline = Date.now() + ms;
        while (!holds()) {
          assert.ok(Date.now() < deadline, what);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      try {
        await until('it hears its first heartbeat', () => changes.catchUp());
        told.length = 0;
        // Connected but deaf, as behind a pooler that gave the LISTEN to another client, or a dead network path.
        const listener = (changes as unknown as { listener: pg.Client }).listener;
        await listener.query('UNLISTEN lanyard_auth_changes');
        await until('it notices it no longer hears', () => !changes.catchUp());
        assert.deepEqual(told, [undefined], 'everything kept is dropped');
        await listener.query('LISTEN lanyard_auth_changes');
        await until('it trusts again once it hears', () => changes.catchUp());
        assert.deepEqual(told, [undefined, undefined]);
      } finally {
        await changes.close();
      }
    });
  });
}

for (const database of testDatabases()) {
  describe(`cached session checks (${database})`, () => {
    let t: TestApp;
    let dir: string;
    /** Runs SQL as another process would: on a connection of its own, past this process's repositories. */
    let otherProcess: (statement: string, params: unknown[]) => Promise<void>;
    let closeOther: () => Promise<void>;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-session-cache-'));
      // SQLite in a file, so that another connection can write it, as another process would.
      t = await createTestApp({
        database,
        ...(database === 'sqlite' ? { sqlitePath: path.join(dir, 'lanyard.db') } : {}),
      });
      if (database === 'sqlite') {
        const other = new SqliteDatabase(path.join(dir, 'lanyard.db'));
        other.pragma('busy_timeout = 5000');
        otherProcess = async (statement, params) => void other.prepare(statement).run(...params);
        closeOther = async () => void other.close();
      } else {
        const { schema } = (await sql<{ schema: string }>`select current_schema() as schema`.execute(t.app.database.db))
          .rows[0]!;
        const other = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}` });
        await other.connect();
        let n = 0;
        otherProcess = async (statement, params) =>
          void (await other
            .query(
              statement.replace(/\?/g, () => `$${++n}`),
              params,
            )
            .finally(() => (n = 0)));
        closeOther = () => other.end();
      }
    });
    after(async () => {
      await closeOther();
      await t.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /**
     * The status of GET /v1/me with the token once the other process's change has been heard: on SQLite the
     * very next check (it reads the changes first); on PostgreSQL the notification sent at commit crosses
     * the database first, so the first check that sees it is awaited (at most two seconds).
     */
    const meOnceHeard = async (
      token: string,
      expected: number,
      holds: (me: TestResponse<Api<'Account'>>) => boolean = () => true,
    ) => {
      const deadline = Date.now() + (database === 'sqlite' ? 0 : 2000);
      for (;;) {
        const me = await t.request<Api<'Account'>>('GET', '/v1/me', { token });
        if ((me.status === expected && holds(me)) || Date.now() >= deadline) return me;
        // Injected requests answered from memory never let the event loop read its sockets: give it a turn.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const sessionIdOf = async (token: string): Promise<string> =>
      (await t.request<Api<'Session'>>('GET', '/v1/session', { token })).body.id;

    test('a session ended by another process is refused', async () => {
      const account = await t.signUp();
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200, 'kept');
      await otherProcess('DELETE FROM sessions WHERE account_id = ? AND id = ?', [
        account.id,
        await sessionIdOf(account.token),
      ]);
      const me = await meOnceHeard(account.token, 401);
      assert.equal(me.status, 401);
      assert.equal((me.body as unknown as Api<'Problem'>).code, 'unauthenticated');
    });

    test("an account's status, role and profile changed by another process are what the next checks see", async () => {
      const account = await t.signUp({ name: 'Ana' });
      const other = await t.signUp();
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body.role, 'user');
      assert.equal((await t.request('GET', '/v1/me', { token: other.token })).status, 200);
      await otherProcess("UPDATE accounts SET role = 'support' WHERE id = ?", [account.id]);
      assert.equal((await meOnceHeard(account.token, 200, (me) => me.body.role === 'support')).body.role, 'support');
      await otherProcess("UPDATE accounts SET status = 'erasing' WHERE id = ?", [account.id]);
      assert.equal((await meOnceHeard(account.token, 401)).status, 401, 'an account leaving active is refused');
      assert.equal(
        (await t.request('GET', '/v1/me', { token: other.token })).status,
        200,
        "another account's session is kept",
      );
    });

    test('what this process changes through the API holds from the next check: sign-out, device sign-out, name, password', async () => {
      const account = await t.signUp({ name: 'Before' });
      const second = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: { serial: `SN-${randomBytes(5).toString('hex')}`, model: 'Redmi Note 13', name: 'Phone', kind: 'phone' },
      });
      assert.equal(linked.status, 201, linked.text);
      const deviceToken = linked.body.deviceToken;
      for (const token of [account.token, second.body.token])
        assert.equal((await t.request('GET', '/v1/me', { token })).status, 200);
      assert.equal((await t.request('GET', '/v1/device', { token: deviceToken })).status, 200);

      const renamed = await t.request('PATCH', '/v1/me', { token: account.token, body: { name: 'After' } });
      assert.equal(renamed.status, 200);
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body.name, 'After');
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: second.body.token })).body.name, 'After');

      const signedOut = await t.request('POST', '/v1/device/sign-out', {
        token: deviceToken,
        body: { password: account.password },
      });
      assert.equal(signedOut.status, 204, signedOut.text);
      assert.equal((await t.request('GET', '/v1/device', { token: deviceToken })).status, 401);

      assert.equal((await t.request('DELETE', '/v1/sessions/current', { token: second.body.token })).status, 204);
      assert.equal((await t.request('GET', '/v1/me', { token: second.body.token })).status, 401);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200);
    });

    test('a session used through another process is not ended as idle by what this one remembers', async () => {
      const account = await t.signUp();
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200);
      t.clock.advance(13 * DAY);
      // Another process used it (and wrote the use); this one last saw it 13 days ago.
      await otherProcess('UPDATE sessions SET last_used_at = ? WHERE account_id = ?', [t.clock.now(), account.id]);
      t.clock.advance(2 * DAY);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200);
      t.clock.advance(15 * DAY);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 401, 'idle for 15 days');
    });

    if (database === 'postgres') {
      test('while the notifications are lost nothing kept is trusted; once they are back, changes are heard again', async () => {
        const account = await t.signUp();
        assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200);
        // Every process's listener goes (other test files' too: they read through for a second).
        await otherProcess(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN lanyard_auth_changes'",
          [],
        );
        await otherProcess('DELETE FROM sessions WHERE account_id = ?', [account.id]);
        // Refused at once: without its listener the process reads every check.
        const deadline = Date.now() + 2000;
        for (;;) {
          const status = (await t.request('GET', '/v1/me', { token: account.token })).status;
          if (status === 401) break;
          assert.ok(Date.now() < deadline, 'a session ended while the listener was down still works');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }

        const later = await t.signUp();
        // Listening again within its reconnect delay; a change is then heard as before.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal((await t.request('GET', '/v1/me', { token: later.token })).status, 200);
        await otherProcess('DELETE FROM sessions WHERE account_id = ?', [later.id]);
        assert.equal((await meOnceHeard(later.token, 401)).status, 401);
      });
    }
  });
}
