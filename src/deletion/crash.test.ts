import { describe, test } from 'node:test';
import { testDatabases } from '../testing/test-app.js';
import { runCrashScenario } from './crash-scenario.js';

// The slow tier: the real server killed with SIGKILL at least 50 times at random points of erasures
// (src/deletion/crash-scenario.ts). SQLite here; PostgreSQL in crash-postgres.test.ts, so that the
// two run side by side.
if (testDatabases().includes('sqlite')) {
  describe('erasure survives SIGKILL at random points (sqlite)', () => {
    test('at least 50 kills mid-erasure; every deletion completes with no residue and no harm to the other account', {
      timeout: 600_000,
    }, async (t) => {
      t.diagnostic(await runCrashScenario('sqlite', 50));
    });
  });
}
