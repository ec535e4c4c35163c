import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { CliProcess, runCli, startServer, tempDataDir, waitForOutbox, type CliResult } from '../testing/cli.js';
import { uniqueEmail } from '../testing/test-app.js';

const VERSION = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** A failure an operator can act on: non-zero, a message, and no stack trace. */
function assertCleanFailure(result: CliResult, message: RegExp): void {
  assert.notEqual(result.code, 0, `expected a failure; stdout: ${result.stdout}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

// None of these depend on the database: they stop before opening one, or use the default SQLite.
describe('lanyard command line: usage and bad input', { concurrency: 4 }, () => {
  const folders: string[] = [];
  const dataDir = () => {
    const folder = tempDataDir();
    folders.push(folder);
    return folder;
  };
  after(() => {
    for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
  });

  test('lanyard alone prints the usage and exits 0', async () => {
    const result = await runCli([], { LANYARD_DATA_DIR: dataDir() });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage:[\s\S]*lanyard serve[\s\S]*lanyard migrate[\s\S]*lanyard admin create/);
    assert.equal(result.stderr, '');
  });

  test('--help prints the usage and exits 0; --version prints the package version', async () => {
    const help = await runCli(['--help'], { LANYARD_DATA_DIR: dataDir() });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage:/);
    const version = await runCli(['--version'], { LANYARD_DATA_DIR: dataDir() });
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), VERSION);
  });

  test('an unknown command prints the usage and exits non-zero', async () => {
    const result = await runCli(['frobnicate'], { LANYARD_DATA_DIR: dataDir() });
    assertCleanFailure(result, /unknown command "frobnicate"/);
    assert.match(result.stderr, /Usage:/);
  });

  test('serve refuses arguments, since the server is configured through the environment', async () => {
    const result = await runCli(['serve', '--port', '9000'], { LANYARD_DATA_DIR: dataDir() });
    assertCleanFailure(result, /unexpected argument "--port"/);
  });

  test('bad configuration lists every problem, exits non-zero and creates nothing', async () => {
    const folder = dataDir();
    const result = await runCli(['serve'], {
      LANYARD_DATA_DIR: folder,
      LANYARD_PORT: 'abc',
      LANYARD_DATABASE_URL: 'mysql://x',
      LANYARD_RATE_LIMIT: 'maybe',
    });
    assertCleanFailure(result, /Invalid configuration/);
    assert.match(result.stderr, /LANYARD_PORT.*"abc"/);
    assert.match(result.stderr, /LANYARD_DATABASE_URL.*postgres:\/\//);
    assert.match(result.stderr, /LANYARD_RATE_LIMIT.*"maybe"/);
    assert.deepEqual(fs.readdirSync(folder), []);
  });

  test('admin create without --password says what is missing', async () => {
    const result = await runCli(['admin', 'create', '--email', 'someone@example.com'], { LANYARD_DATA_DIR: dataDir() });
    assertCleanFailure(result, /--password/);
  });

  test('admin create with an unknown role names the roles there are', async () => {
    const result = await runCli(
      ['admin', 'create', '--email', 'someone@example.com', '--password', 'a fine passphrase', '--role', 'bogus'],
      { LANYARD_DATA_DIR: dataDir() },
    );
    assertCleanFailure(result, /--role must be admin or support/);
  });

  test('admin create with an unknown option or a missing value is a usage error', async () => {
    const unknown = await runCli(
      ['admin', 'create', '--email', 'someone@example.com', '--password', 'a fine passphrase', '--admin'],
      { LANYARD_DATA_DIR: dataDir() },
    );
    assertCleanFailure(unknown, /--admin/);
    assert.match(unknown.stderr, /Usage:/);
    const missing = await runCli(['admin', 'create', '--email', 'someone@example.com', '--password'], {
      LANYARD_DATA_DIR: dataDir(),
    });
    assertCleanFailure(missing, /--password/);
    const other = await runCli(['admin', 'delete'], { LANYARD_DATA_DIR: dataDir() });
    assertCleanFailure(other, /unknown admin command/);
  });

  test('admin create refuses a common password or an invalid email, giving the reason', async () => {
    const folder = dataDir();
    const refused = await runCli(['admin', 'create', '--email', 'someone@example.com', '--password', 'password1'], {
      LANYARD_DATA_DIR: folder,
    });
    assertCleanFailure(refused, /common password/);
    const invalid = await runCli(['admin', 'create', '--email', 'not an address', '--password', 'a fine passphrase'], {
      LANYARD_DATA_DIR: folder,
    });
    assertCleanFailure(invalid, /email is not an email address/);
  });

  test('LANYARD_RATE_LIMIT=off starts the server with a warning', async () => {
    const server = await startServer({ LANYARD_DATA_DIR: dataDir(), LANYARD_RATE_LIMIT: 'off' });
    try {
      // The log is written asynchronously, so the warning may follow the URL line.
      await server.process.waitForOutput(/"level":40,.*LANYARD_RATE_LIMIT=off: rate limits are disabled/);
      server.process.signal('SIGTERM');
      const ended = await server.process.exit();
      assert.equal(ended.code, 0, JSON.stringify(ended));
    } finally {
      await server.process.stop();
    }
  });

  test('serve on a port already in use says so and exits non-zero', async () => {
    const blocker = net.createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const result = await runCli(['serve'], { LANYARD_DATA_DIR: dataDir(), LANYARD_PORT: String(port) });
      assertCleanFailure(result, /EADDRINUSE[\s\S]*set LANYARD_PORT to another port/);
    } finally {
      blocker.close();
    }
  });

  test('a database that cannot be reached is reported in one line, not a stack trace', async () => {
    const result = await runCli(['migrate'], {
      LANYARD_DATA_DIR: dataDir(),
      LANYARD_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
    });
    assertCleanFailure(result, /cannot reach the database .*check LANYARD_DATABASE_URL/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});

describe('lanyard worker', () => {
  test('a separate worker process delivers the messages of a server started with LANYARD_WORKER=off, and stops on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const server = await startServer({ LANYARD_DATA_DIR: dataDir, LANYARD_WORKER: 'off' });
    const worker = new CliProcess(['worker'], { LANYARD_DATA_DIR: dataDir });
    try {
      await worker.waitForOutput(/job worker is running/);
      const email = uniqueEmail();
      const started = await fetch(`${server.url}/v1/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      assert.equal(started.status, 202);
      const message = await waitForOutbox(dataDir, email);
      assert.match(message.text, /\b\d{6}\b/);

      worker.signal('SIGTERM');
      server.process.signal('SIGTERM');
      assert.equal((await worker.exit()).code, 0);
      assert.equal((await server.process.exit()).code, 0);
    } finally {
      await worker.stop();
      await server.process.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
