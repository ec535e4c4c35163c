import { describe, test } from 'node:test';
import { testDatabases } from '../testing/test-app.js';
import { runCrashScenario } from './crash-scenario.js';

// crash.test.ts on PostgreSQL: the same kills and checks against a database of its own; 25 kills, so that
// the slow tier stays within about three minutes when both run side by side.
if (testDatabases().includes('postgres')) {
  describe('erasure survives SIGKILL at random points (postgres)', () => {
    test('at least 25 kills mid-erasure; every deletion completes with no residue and no harm to the other account', {
      timeout: 600_000,
    }, async (t) => {
      t.diagnostic(await runCrashScenario('postgres', 25));
    });
  });
}
