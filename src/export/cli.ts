import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { ExportProgress } from './service.js';

/** A progress bar on a terminal; on anything else (a log, a pipe) a line at each quarter. */
function progressReporter(out: NodeJS.WriteStream) {
  let lastDrawn = 0;
  let lastQuarter = -1;
  return {
    update({ done, total }: ExportProgress) {
      const ratio = total === 0 ? 1 : Math.min(done / total, 1);
      if (out.isTTY) {
        const now = Date.now();
        if (now - lastDrawn < 100 && done < total) return;
        lastDrawn = now;
        const width = 30;
        const filled = Math.round(ratio * width);
        out.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${done}/${total} items`,
        );
      } else {
        const quarter = Math.floor(ratio * 4);
        if (quarter === lastQuarter) return;
        lastQuarter = quarter;
        out.write(`export: ${quarter * 25}% (${done}/${total} items)\n`);
      }
    },
    finish() {
      if (out.isTTY) out.write('\n');
    },
  };
}

/**
 * `lanyard export --account ID [--out FILE]`: writes the account's cloud data as the same zip that
 * POST /v1/me/export makes, to a file (0600) on this machine, with a progress bar.
 */
export async function exportCommand(args: string[]): Promise<void> {
  let values: { account?: string | undefined; out?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { account: { type: 'string' }, out: { type: 'string' } } }));
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; usage: lanyard export --account ID [--out FILE]`,
    );
  }
  if (!values.account) throw new Error('export needs --account ID; usage: lanyard export --account ID [--out FILE]');
  const accountId = values.account;
  const out = values.out ?? `lanyard-export-${accountId}-${new Date().toISOString().slice(0, 10)}.zip`;
  const [{ createApp }, { loadConfig }] = await Promise.all([import('../app.js'), import('../config.js')]);
  const app = await createApp({ config: loadConfig(), logger: false });
  // Written beside the target and renamed at the end: a file by that name is always a whole export.
  const partial = `${out}.part`;
  try {
    const account = await app.services.accounts.getProfile(accountId).catch(() => undefined);
    if (!account) throw new Error(`there is no active account ${accountId}`);
    const reporter = progressReporter(process.stderr);
    const file = fs.createWriteStream(partial, { mode: 0o600 });
    const { bytes, items } = await app.services.exports.writeZip(accountId, file, (progress) =>
      reporter.update(progress),
    );
    reporter.finish();
    fs.renameSync(partial, out);
    process.stdout.write(`Wrote ${out}: ${items} items, ${bytes} bytes\n`);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  } finally {
    await app.close();
  }
}
