import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, describePostgresUrl, loadConfig, withPort } from './config.js';

/** The problems a configuration is refused for, or [] when it loads. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
}

describe('configuration', () => {
  test('an empty environment gives the documented defaults: port 8080, ./data, SQLite, the dev outbox, rate limits on', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, path.resolve('./data'));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.smsWebhookUrl, undefined);
    assert.equal(config.baseUrl, 'http://127.0.0.1:8080');
    assert.equal(config.rateLimit, true);
    assert.equal(config.unlockWaitSeconds, 259200);
    assert.equal(config.masterKey, undefined);
    assert.equal(config.runWorker, true);
    assert.equal(config.trustProxy, false);
    assert.equal(config.keyringUrl, undefined);
  });

  test('empty variables count as unset', () => {
    const config = loadConfig({
      LANYARD_PORT: '',
      LANYARD_DATABASE_URL: '',
      LANYARD_RATE_LIMIT: '',
      LANYARD_DATA_DIR: '',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.rateLimit, true);
    assert.equal(config.dataDir, path.resolve('./data'));
  });

  test('the configuration is frozen', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
  });

  test('every problem is listed at once, each naming its variable and the value given', () => {
    const problems = problemsOf({
      LANYARD_PORT: 'abc',
      LANYARD_DATABASE_URL: 'mysql://x',
      LANYARD_RATE_LIMIT: 'maybe',
    });
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, /^LANYARD_PORT must be a whole number from 0 to 65535 \(got "abc"\)$/);
    assert.match(
      problems[1]!,
      /^LANYARD_DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/ \(got "mysql:"\)$/,
    );
    assert.match(problems[2]!, /^LANYARD_RATE_LIMIT must be "on" or "off" \(got "maybe"\)$/);
  });

  test('the error message lists the problems one a line', () => {
    assert.throws(
      () => loadConfig({ LANYARD_PORT: '70000', LANYARD_LOG_LEVEL: 'loud' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^Invalid configuration:\n {2}- LANYARD_PORT .*\n {2}- LANYARD_LOG_LEVEL /.test(error.message),
    );
  });

  test('a port is digits only, from 0 to 65535', () => {
    assert.equal(loadConfig({ LANYARD_PORT: '0' }).port, 0);
    assert.equal(loadConfig({ LANYARD_PORT: '65535' }).port, 65535);
    assert.equal(loadConfig({ LANYARD_PORT: ' 9000 ' }).port, 9000);
    for (const bad of ['-1', '65536', '80.5', '0x50', '1e3', '8080abc', 'eighty']) {
      assert.equal(problemsOf({ LANYARD_PORT: bad }).length, 1, `LANYARD_PORT=${bad} is refused`);
    }
  });

  test('the base URL defaults to the port, loses trailing slashes, and must be http or https', () => {
    assert.equal(loadConfig({ LANYARD_PORT: '9000' }).baseUrl, 'http://127.0.0.1:9000');
    assert.equal(
      loadConfig({ LANYARD_BASE_URL: 'https://accounts.example.com//' }).baseUrl,
      'https://accounts.example.com',
    );
    assert.match(
      problemsOf({ LANYARD_BASE_URL: 'ftp://example.com' })[0]!,
      /LANYARD_BASE_URL must start with http:\/\/ or https:\/\//,
    );
    assert.match(problemsOf({ LANYARD_BASE_URL: 'accounts.example.com' })[0]!, /LANYARD_BASE_URL is not a URL/);
  });

  test('withPort names the real port in the default base URL, and leaves an explicit one alone', () => {
    const chosen = withPort(43210, { LANYARD_PORT: '0' });
    assert.equal(chosen.port, 43210);
    assert.equal(chosen.baseUrl, 'http://127.0.0.1:43210');
    assert.equal(
      withPort(43210, { LANYARD_PORT: '0', LANYARD_BASE_URL: 'https://id.example.com' }).baseUrl,
      'https://id.example.com',
    );
  });

  test('PostgreSQL, SMTP, SMS webhook and Redis URLs are checked by scheme', () => {
    const config = loadConfig({
      LANYARD_DATABASE_URL: 'postgresql://user@db:5432/lanyard',
      LANYARD_SMTP_URL: 'smtps://mail.example.com:465',
      LANYARD_SMS_WEBHOOK_URL: 'https://sms.example.com/send',
      LANYARD_REDIS_URL: 'redis://127.0.0.1:6379',
    });
    assert.equal(config.databaseUrl, 'postgresql://user@db:5432/lanyard');
    assert.equal(config.smtpUrl, 'smtps://mail.example.com:465');
    assert.equal(config.smsWebhookUrl, 'https://sms.example.com/send');
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    const problems = problemsOf({
      LANYARD_SMTP_URL: 'http://mail',
      LANYARD_SMS_WEBHOOK_URL: 'smtp://sms',
      LANYARD_REDIS_URL: 'memcached://x',
    });
    assert.deepEqual(
      problems.map((p) => p.split(' ')[0]),
      ['LANYARD_SMTP_URL', 'LANYARD_SMS_WEBHOOK_URL', 'LANYARD_REDIS_URL'],
    );
  });

  test('the key ring database is a PostgreSQL URL, and not the main database under another spelling', () => {
    const LANYARD_MASTER_KEY = 'ab'.repeat(32);
    const config = loadConfig({
      LANYARD_DATABASE_URL: 'postgres://app@db:5432/lanyard',
      LANYARD_KEYRING_URL: 'postgres://keys@keys.internal/lanyard_keys',
      LANYARD_MASTER_KEY,
    });
    assert.equal(config.keyringUrl, 'postgres://keys@keys.internal/lanyard_keys');
    assert.deepEqual(
      problemsOf({ LANYARD_KEYRING_URL: 'redis://x', LANYARD_MASTER_KEY }).map((p) => p.split(' ')[0]),
      ['LANYARD_KEYRING_URL'],
    );
    assert.deepEqual(
      problemsOf({
        LANYARD_DATABASE_URL: 'postgres://app@db/lanyard',
        LANYARD_KEYRING_URL: 'postgresql://other:secret@db:5432/lanyard',
        LANYARD_MASTER_KEY,
      }),
      ['LANYARD_KEYRING_URL must name a database other than LANYARD_DATABASE_URL'],
    );
    assert.deepEqual(
      problemsOf({
        LANYARD_DATABASE_URL: 'postgres://app@db/lanyard',
        LANYARD_KEYRING_URL: 'postgres://app@db/lanyard_keys',
        LANYARD_MASTER_KEY,
      }),
      [],
    );
    // A master.key file per data folder would differ from process to process.
    assert.match(
      problemsOf({ LANYARD_KEYRING_URL: 'postgres://app@db/lanyard_keys' }).join(),
      /LANYARD_KEYRING_URL needs LANYARD_MASTER_KEY/,
    );
  });

  test('on/off switches take on, off, true, false, yes, no, 1 and 0 in any case', () => {
    for (const off of ['off', 'OFF', 'false', 'no', '0', ' off '])
      assert.equal(loadConfig({ LANYARD_RATE_LIMIT: off }).rateLimit, false, off);
    for (const on of ['on', 'True', 'yes', '1'])
      assert.equal(loadConfig({ LANYARD_RATE_LIMIT: on }).rateLimit, true, on);
    assert.equal(loadConfig({ LANYARD_WORKER: 'off' }).runWorker, false);
    assert.equal(loadConfig({ LANYARD_TRUST_PROXY: 'on' }).trustProxy, true);
    assert.match(problemsOf({ LANYARD_TRUST_PROXY: 'sometimes' })[0]!, /LANYARD_TRUST_PROXY must be "on" or "off"/);
  });

  test('the master key is 32 bytes given as 64 hex digits or as base64', () => {
    const bytes = Buffer.alloc(32, 7);
    assert.deepEqual(loadConfig({ LANYARD_MASTER_KEY: bytes.toString('hex') }).masterKey, bytes);
    assert.deepEqual(loadConfig({ LANYARD_MASTER_KEY: bytes.toString('base64') }).masterKey, bytes);
    assert.match(
      problemsOf({ LANYARD_MASTER_KEY: Buffer.alloc(16).toString('hex') })[0]!,
      /LANYARD_MASTER_KEY must be 32 bytes/,
    );
    assert.match(problemsOf({ LANYARD_MASTER_KEY: 'short' })[0]!, /LANYARD_MASTER_KEY must be 32 bytes/);
  });

  test('the unlock waiting period and session lifetimes are bounded whole numbers of seconds', () => {
    assert.equal(loadConfig({ LANYARD_UNLOCK_WAIT_S: '0' }).unlockWaitSeconds, 0);
    assert.equal(problemsOf({ LANYARD_UNLOCK_WAIT_S: '-5' }).length, 1);
    assert.deepEqual(loadConfig({ LANYARD_SESSION_IDLE_S: '3600', LANYARD_SESSION_ABSOLUTE_S: '7200' }).session, {
      idleSeconds: 3600,
      absoluteSeconds: 7200,
      cacheSize: 100_000,
    });
    assert.equal(loadConfig({ LANYARD_SESSION_CACHE_SIZE: '0' }).session.cacheSize, 0);
    assert.equal(problemsOf({ LANYARD_SESSION_CACHE_SIZE: '-1' }).length, 1);
    assert.match(
      problemsOf({ LANYARD_SESSION_IDLE_S: '30' })[0]!,
      /LANYARD_SESSION_IDLE_S must be a whole number from 60/,
    );
  });

  test('a session that would end by age before it could end by idleness is refused', () => {
    assert.match(
      problemsOf({ LANYARD_SESSION_IDLE_S: '7200', LANYARD_SESSION_ABSOLUTE_S: '3600' })[0]!,
      /LANYARD_SESSION_ABSOLUTE_S must not be shorter than LANYARD_SESSION_IDLE_S/,
    );
  });

  test('the data folder is made absolute, and the log level must be one pino knows', () => {
    assert.equal(loadConfig({ LANYARD_DATA_DIR: 'var/lanyard' }).dataDir, path.resolve('var/lanyard'));
    assert.equal(loadConfig({ LANYARD_LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.match(problemsOf({ LANYARD_LOG_LEVEL: 'verbose' })[0]!, /LANYARD_LOG_LEVEL must be one of/);
  });

  test('the start-up banner names where PostgreSQL is, over TCP or a Unix socket, and never its password', () => {
    assert.equal(
      describePostgresUrl('postgres://lanyard:secret@db.example:5433/accounts'),
      'db.example:5433, database accounts',
    );
    assert.equal(
      describePostgresUrl('postgres://lanyard@%2Fvar%2Frun%2Fpostgresql/lanyard'),
      'the Unix socket in /var/run/postgresql, database lanyard',
    );
    assert.equal(
      describePostgresUrl('postgresql:///lanyard?host=/run/postgresql'),
      'the Unix socket in /run/postgresql, database lanyard',
    );
    assert.equal(
      loadConfig({ LANYARD_DATABASE_URL: 'postgres://lanyard@%2Fvar%2Frun%2Fpostgresql/lanyard' }).databaseUrl,
      'postgres://lanyard@%2Fvar%2Frun%2Fpostgresql/lanyard',
    );
  });
});
