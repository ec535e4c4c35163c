import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { openDatabase } from '../db/database.js';
import { DeviceSignals, type DeviceSignal } from '../devices/service.js';
import { TEST_POSTGRES_URL } from '../testing/pg-schema.js';
import { testDatabases } from '../testing/test-app.js';
import { PostgresRelay, RedisRelay, type Relay } from './relay.js';

const REDIS_URL = process.env.LANYARD_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const silent = { warn: () => {} };

/** Two processes' device signals over one kind of relay: what one emits reaches the other's listener, once. */
async function crossesOnce(relays: [Relay, Relay]): Promise<void> {
  const [here, there] = [new DeviceSignals(relays[0]), new DeviceSignals(relays[1])];
  const device = `device-${Math.random()}`;
  const heard: DeviceSignal[] = [];
  const heardHere: DeviceSignal[] = [];
  there.subscribe('account-1', device, (signal) => heard.push(signal));
  here.subscribe('account-1', device, (signal) => heardHere.push(signal));
  there.subscribe('account-1', 'another-device', () => assert.fail('another device heard it'));
  // The subscriber connects in the background: signal until the first one arrives.
  const deadline = Date.now() + 10_000;
  while (heard.length === 0) {
    assert.ok(Date.now() < deadline, 'no signal crossed');
    here.emit('account-1', device, { type: 'command', commandId: 'first' });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Earlier "first" signals may still be on their way (each NOTIFY can leave on another pooled
  // connection): let them land before listening for the real ones.
  await new Promise((resolve) => setTimeout(resolve, 300));
  heard.length = 0;
  heardHere.length = 0;
  here.emit('account-1', device, { type: 'command', commandId: 'cmd-1' });
  here.emit('account-1', device, { type: 'ended' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(heard, [{ type: 'command', commandId: 'cmd-1' }, { type: 'ended' }]);
  assert.deepEqual(
    heardHere,
    [{ type: 'command', commandId: 'cmd-1' }, { type: 'ended' }],
    'the emitting process hears its own signal once, not again through the relay',
  );
}

describe('device signals between processes', () => {
  test('through Redis pub/sub', async () => {
    const [one, two] = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const channel = `lanyard_test_${Math.random()}`;
    const relays: [Relay, Relay] = [
      new RedisRelay({ redis: one, channel, log: silent }),
      new RedisRelay({ redis: two, channel, log: silent }),
    ];
    try {
      await crossesOnce(relays);
    } finally {
      await Promise.all(relays.map((relay) => relay.close()));
      one.disconnect();
      two.disconnect();
    }
  });

  if (testDatabases().includes('postgres')) {
    const database = openDatabase({ url: TEST_POSTGRES_URL, poolSize: 2 });
    after(() => database.close());
    test('through PostgreSQL LISTEN/NOTIFY', async () => {
      const channel = `lanyard_test_${Math.random().toString(36).slice(2)}`;
      const relays: [Relay, Relay] = [
        new PostgresRelay({ db: database.db, url: TEST_POSTGRES_URL, channel, log: silent }),
        new PostgresRelay({ db: database.db, url: TEST_POSTGRES_URL, channel, log: silent }),
      ];
      try {
        await crossesOnce(relays);
      } finally {
        await Promise.all(relays.map((relay) => relay.close()));
      }
    });
  }
});
