// `npm test`'s list of test files, the slowest first. The runner starts files in the order given, three at
// a time: in name order the longest files (the crash tier, the browser flows under src/portal) started last
// and the run ended with one of them alone on the machine. Started first, they end while the short files
// keep the other slots busy. Seconds are what each file took in a CI run (2026-12-04, 2-core machine); a
// file missing here runs after these, in name order, and a renamed one only loses its place.
import { readdirSync } from 'node:fs';
import path from 'node:path';

const SLOWEST = {
  'src/deletion/crash-postgres.test.ts': 286,
  'src/portal/every-page.test.ts': 221,
  'src/portal/security.test.ts': 214,
  'src/deletion/crash.test.ts': 199,
  'src/portal/message-links.test.ts': 146,
  'src/portal/cloud.test.ts': 136,
  'src/http/fuzz.test.ts': 119,
  'src/portal/console-credits-apps-webhooks.test.ts': 114,
  'src/portal/devices.test.ts': 89,
  'src/portal/unlock-proofs.test.ts': 86,
  'src/portal/passkeys.test.ts': 85,
  'src/portal/delete-account.test.ts': 80,
  'src/ops/two-processes.test.ts': 77,
  'src/client-apps/pages-look.test.ts': 73,
  'src/portal/create-account.test.ts': 73,
  'src/portal/public-pages.test.ts': 72,
  'src/client-apps/browser.test.ts': 64,
  'src/export/crash.test.ts': 63,
  'src/device-sdk/simulator.test.ts': 63,
  'src/portal/console-staff.test.ts': 62,
  'src/portal/lock-account.test.ts': 54,
  'src/portal/console-unlock-requests.test.ts': 53,
  'src/portal/console-accounts.test.ts': 52,
  'src/portal/console-shell.test.ts': 52,
  'src/portal/two-step.test.ts': 50,
};

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(file);
    return entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

const seconds = (file) => SLOWEST[file] ?? 0;
const files = testFiles('src').sort((a, b) => seconds(b) - seconds(a) || a.localeCompare(b));
process.stdout.write(`${files.join('\n')}\n`);
