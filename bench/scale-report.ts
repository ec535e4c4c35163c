import type { CloudResult } from './cloud.js';
import type { DeletionResult } from './deletion.js';
import type { DevicesResult } from './devices.js';
import { databaseTable, firstLine, fmt, mark, type Target } from './format.js';
import type { LoadRun } from './load.js';

interface PartsResult {
  database: 'sqlite' | 'postgres';
  devices?: DevicesResult;
  cloud?: CloudResult;
  deletion?: DeletionResult;
}

/** A count in thousands from 1,000 up: 100k. */
const size = (n: number) => (n >= 1000 ? `${fmt(n / 1000)}k` : fmt(n));

const load = (run: LoadRun) =>
  `${fmt(run.requestsPerSecond)} req/s, p99 ${run.latencyMs.p99} ms, ${fmt(run.serverMicrosPerRequest)} µs CPU/req`;

/** The devices and cloud figures, one column per database, as summaryTable prints the others. */
export function partsSummary(results: PartsResult[]): string {
  const { column, render } = databaseTable(results);

  if (results.some((r) => r.devices)) {
    const steps = results.find((r) => r.devices?.steps.length)?.devices?.steps.map((s) => s.accounts) ?? [];
    for (const [index, accounts] of steps.entries()) {
      const step = (r: PartsResult) => r.devices?.steps[index];
      column(`GET /v1/devices, ${size(accounts)} accounts`, (r) =>
        r.devices?.error && !step(r) ? `failed: ${firstLine(r.devices.error)}` : step(r) ? load(step(r)!.list) : '-',
      );
      column(`activation check, ${size(accounts)} accounts`, (r) => (step(r) ? load(step(r)!.activation) : '-'));
    }
    const ratio =
      (pick: (r: DevicesResult) => NonNullable<DevicesResult['ratios']>['list'] | undefined) => (r: PartsResult) => {
        const x = r.devices && pick(r.devices);
        return x ? `req/s × ${x.requestsPerSecond}, p99 × ${x.p99}, CPU/req × ${x.serverMicrosPerRequest ?? '-'}` : '-';
      };
    const span = steps.length > 1 ? `${fmt(steps[steps.length - 1]! / steps[0]!)}× accounts` : 'growth';
    column(
      `GET /v1/devices, ${span}`,
      ratio((d) => d.ratios?.list),
    );
    column(
      `activation check, ${span}`,
      ratio((d) => d.ratios?.activation),
    );
  }

  if (results.some((r) => r.cloud)) {
    const cloud = (pick: (c: CloudResult) => string | undefined) => (r: PartsResult) =>
      r.cloud ? (pick(r.cloud) ?? (r.cloud.error ? `failed: ${firstLine(r.cloud.error)}` : '-')) : '-';
    column(
      'contacts upload',
      cloud(
        (c) =>
          c.contactsUpload &&
          `${c.contactsUpload.items} in ${c.contactsUpload.seconds} s: ${fmt(c.contactsUpload.itemsPerSecond)} items/s, p99 ${c.contactsUpload.p99Ms} ms`,
      ),
    );
    column(
      'contacts batch upload',
      cloud(
        (c) =>
          c.contactsBatchUpload &&
          `${c.contactsBatchUpload.items} in ${c.contactsBatchUpload.requests} requests, ${c.contactsBatchUpload.seconds} s: ${fmt(c.contactsBatchUpload.itemsPerSecond)} items/s${mark(c.contactsBatchUpload.met)}`,
      ),
    );
    column(
      'photos upload',
      cloud(
        (c) =>
          c.photosUpload &&
          `${c.photosUpload.items} in ${c.photosUpload.seconds} s: ${c.photosUpload.itemsPerSecond} items/s, ${c.photosUpload.mibPerSecond} MiB/s`,
      ),
    );
    column(
      'thumbnails all made after',
      cloud((c) => c.photosUpload && `${c.photosUpload.thumbnailsDoneSeconds} s`),
    );
    column(
      'contacts full sync',
      cloud(
        (c) =>
          c.contactsFullSync &&
          `${c.contactsFullSync.pages} pages in ${c.contactsFullSync.seconds} s: ${fmt(c.contactsFullSync.itemsPerSecond)} items/s`,
      ),
    );
    column(
      'photos full sync',
      cloud(
        (c) =>
          c.photosFullSync &&
          `${c.photosFullSync.seconds} s (${c.photosFullSync.listPages} list pages): ${c.photosFullSync.itemsPerSecond} items/s, ${c.photosFullSync.mibPerSecond} MiB/s`,
      ),
    );
    column(
      'delta sync p50 / max',
      cloud(
        (c) =>
          c.deltaSync && `${c.deltaSync.p50Ms} / ${c.deltaSync.maxMs} ms (nothing new: ${c.deltaSync.emptyP50Ms} ms)`,
      ),
    );
    column(
      'server peak RSS',
      cloud((c) => c.memory && `${c.memory.peakMiB} MiB${mark(c.memory.met)} (after start ${c.memory.startMiB})`),
    );
  }

  if (results.some((r) => r.deletion)) {
    const cases = (r: PartsResult) =>
      r.deletion?.cases.filter((c) => c.kind === 'measured' || c.kind === 'under sign-in load') ?? [];
    const shown = cases(results.find((r) => cases(r).length > 0) ?? results[0]!);
    for (const [index, c] of shown.entries()) {
      const label = `deletion, ${size(c.items)} items + ${fmt(c.photoMiB)} MiB, ${size(c.otherAccounts)} others${c.kind === 'under sign-in load' ? ', sign-in load' : ''}`;
      column(label, (r) => {
        const x = cases(r)[index];
        if (!x) return r.deletion?.error && index === 0 ? `failed: ${firstLine(r.deletion.error)}` : '-';
        return `no residue ${fmt(x.erasureSeconds, 2)} s after confirm (${fmt(x.confirmMs)} ms)${x.leftovers.length ? `, ${x.leftovers.length} stale copies of the id` : ''}`;
      });
    }
    column('deletion probes, smaller / larger database', (r) => {
      const x = r.deletion?.databaseRatio;
      return x
        ? `${fmt(x.medianSeconds[0], 2)} / ${fmt(x.medianSeconds[1], 2)} s (${size(x.otherAccounts[0])} / ${size(x.otherAccounts[1])} others): × ${x.ratio}`
        : '-';
    });
    column('sign-in before / during erasure', (r) => {
      const s = r.deletion?.signIn;
      return s
        ? `${fmt(s.before.perSecond, 1)} / ${fmt(s.during.perSecond, 1)} req/s (× ${s.duringOverBefore}; p99 ${fmt(s.before.p99Ms)} / ${fmt(s.during.p99Ms)} ms)`
        : '-';
    });
  }
  return render();
}

/** Flat means within this factor from the smallest to the largest table, on both req/s and server CPU per request. */
export const FLAT_WITHIN = 1.5;

/** Targets of the devices and cloud parts, beside those of targetsFor (bench/report.ts). */
export function partTargets(result: PartsResult): Record<string, Target> {
  const targets: Record<string, Target> = {};
  for (const [name, label] of [
    ['list', 'GET /v1/devices'],
    ['activation', 'activation check'],
  ] as const) {
    const ratio = result.devices?.ratios?.[name];
    if (!ratio) continue;
    const worst = Math.max(1 / ratio.requestsPerSecond, ratio.serverMicrosPerRequest ?? 1);
    targets[`${name === 'list' ? 'devicesList' : 'activation'}Flat`] = {
      target: `${label}: req/s and server CPU/req within ${FLAT_WITHIN}× from the smallest to the largest table (value: the worse factor)`,
      value: Math.round(worst * 100) / 100,
      met: worst <= FLAT_WITHIN,
    };
  }
  const ratio = result.deletion?.databaseRatio;
  if (ratio) {
    targets.deletionFlatWithDatabase = {
      target: `deletion probes: median confirm to no residue within ${FLAT_WITHIN}× from ${ratio.otherAccounts[0]} to ${ratio.otherAccounts[1]} other accounts (value: the ratio)`,
      value: ratio.ratio,
      met: ratio.ratio <= FLAT_WITHIN,
    };
  }
  const cases = result.deletion?.cases ?? [];
  if (cases.length > 0) {
    const stale = cases.reduce((sum, c) => sum + c.leftovers.length, 0);
    targets.deletionNoStaleCopies = {
      target:
        "no copy of a deleted account's id left in the free space of live SQLite pages (value: copies over all deletions)",
      value: stale,
      met: stale === 0,
    };
  }
  if (result.cloud?.contactsBatchUpload) {
    const batch = result.cloud.contactsBatchUpload;
    targets.cloudBatchUploadItemsPerSecond = {
      target: `contacts through batch sync >= ${batch.targetItemsPerSecond} items/s`,
      value: batch.itemsPerSecond,
      met: batch.met,
    };
  }
  if (result.cloud?.memory) {
    targets.cloudPeakRssUnder300MiB = {
      target: `server peak RSS (VmHWM) < ${result.cloud.memory.targetMiB} MiB during the cloud part`,
      value: result.cloud.memory.peakMiB,
      met: result.cloud.memory.met,
    };
  }
  return targets;
}
