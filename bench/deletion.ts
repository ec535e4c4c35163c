// Permanent deletion (issue 5): the time from the confirmation's 200 to "no residue" for accounts with
// 100, 10,000 and 100,000 cloud items and 1 GiB of photos each, with 100,000 other accounts in the
// database; small probe accounts deleted with a tenth and with all of the other accounts (the time must
// follow the account's own data, not the database); and sign-in for other people before, during and after
// the erasure of another large account.
import SqliteDatabase from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SeedItem, SeedReport } from '../src/cli/seed.js';
import { deriveServerKeys } from '../src/crypto/keys.js';
import { hmac } from '../src/crypto/tokens.js';
import { CONFIRMATION_SENTENCE } from '../src/deletion/service.js';
import { nextCode, outboxFor } from '../src/testing/outbox.js';
import { api, linkDevice } from './api.js';
import { withCpuShare, type CpuShare } from './cpu.js';
import { masterKeyOf, withSeededServer, loadAverageNow, type BenchDialect, type PartOutcome } from './fresh-server.js';
import { BenchPhotos, uploadPhoto } from './photos.js';
import { median, round } from './stats.js';
import { BENCH_USER_AGENT, signIn, signUp, type BenchAccount } from './seed.js';
import type { ServerBuild } from './server.js';
import { ServerDatabase } from './server-database.js';

export interface DeletionSettings {
  /** JSON items of each measured account, spread evenly over contacts, notes, messages and app-data. */
  itemSteps: number[];
  /** Photos of each measured account, in MiB, uploaded through the API. */
  photoMiB: number;
  photoBytes: number;
  /** Other accounts in the database while the measured accounts are deleted. */
  otherAccounts: number;
  /** Other accounts when probes are deleted the first time, for the ratio to otherAccounts. */
  probeOtherAccounts: number;
  /** Probes (accounts of the smallest item count with probePhotos photos) deleted at each database size. */
  probeRepeats: number;
  probePhotos: number;
  devicesPerAccount: number;
  photoConcurrency: number;
  /** Sign-ins in flight (one account each) while another large account is erased. */
  signInConcurrency: number;
  /** Sign-in is measured this long before the large erasure, and again after it. */
  signInWindowSeconds: number;
}

export const DEFAULT_DELETION_SETTINGS: DeletionSettings = {
  itemSteps: [100, 10_000, 100_000],
  photoMiB: 1024,
  photoBytes: 8 * 2 ** 20,
  otherAccounts: 100_000,
  probeOtherAccounts: 10_000,
  probeRepeats: 5,
  probePhotos: 4,
  devicesPerAccount: 2,
  photoConcurrency: 4,
  signInConcurrency: 8,
  signInWindowSeconds: 6,
};

export interface AccountSetup {
  items: number;
  photos: number;
  itemsSeedSeconds: number;
  photosUploadSeconds: number;
  photosMiBPerSecond: number;
}

export type CaseKind = 'probe, smaller database' | 'probe, larger database' | 'measured' | 'under sign-in load';

export interface DeletionCase {
  /** measured: at otherAccounts; probes: the smallest item count with a few photos, at either database size; under sign-in load: the largest, while others sign in. */
  kind: CaseKind;
  items: number;
  photos: number;
  photoMiB: number;
  otherAccounts: number;
  /** The account's rows per table just before the confirmation, and its files in the blob store (photos and thumbnails). */
  rowsBefore: Record<string, number>;
  blobFilesBefore: number;
  /** POST /v1/me/deletion/{id}/confirm until its 200. */
  confirmMs: number;
  /** From the confirmation's 200 until the erasure is seen finished (its job chain ended, polled every 10 ms). */
  erasureSeconds: number;
  /** The erasure's own record: completed_at − deleted_at (server clock; before SQLite's final WAL checkpoint). */
  serverErasureSeconds: number;
  /** How long the bench's residue check took (not part of erasureSeconds). */
  residueCheckSeconds: number;
  /** What the residue check looked at; it found nothing there (it stops the part otherwise). */
  residueChecked: string[];
  /**
   * Copies of the account id still in the bytes of SQLite files, outside every live row: stale copies that
   * a b-tree rebalance left in a live page's unallocated space, which secure_delete does not overwrite.
   */
  leftovers: string[];
  cpu?: CpuShare | undefined;
}

export interface SignInWindow {
  seconds: number;
  completed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpu?: CpuShare | undefined;
}

export interface DeletionResult extends PartOutcome {
  settings: DeletionSettings;
  setups: AccountSetup[];
  seeds: SeedReport[];
  cases: DeletionCase[];
  /** The probes' median erasureSeconds with otherAccounts over that with probeOtherAccounts (1.0: the database size does not matter). */
  databaseRatio?: { otherAccounts: [number, number]; medianSeconds: [number, number]; ratio: number };
  /** Sign-in req/s for other people before, during and after the erasure of another account of the largest size. */
  signIn?: {
    concurrency: number;
    before: SignInWindow;
    during: SignInWindow;
    after: SignInWindow;
    duringOverBefore: number;
    duringOverAfter: number;
  };
}

const MiB = 2 ** 20;
const JSON_COLLECTIONS = ['contacts', 'notes', 'messages', 'app-data'] as const;
type JsonCollection = (typeof JSON_COLLECTIONS)[number];

const itemIdOf = (n: number) => `item-${String(n).padStart(6, '0')}`;
const collectionOf = (n: number): JsonCollection => JSON_COLLECTIONS[n % JSON_COLLECTIONS.length]!;
/** Item n of a measured account, spread evenly over the collections (checkSeededItems reads them back). */
const seedItem = (n: number): SeedItem => ({
  collection: collectionOf(n),
  itemId: itemIdOf(n),
  text: JSON.stringify(itemData(collectionOf(n), n)),
});

/** What a phone would back up in each collection, a few hundred bytes each. */
function itemData(collection: JsonCollection, n: number): unknown {
  const at = new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
  switch (collection) {
    case 'contacts':
      return {
        name: { given: `Person${n}`, family: `Surname${n % 997}`, display: `Person${n} Surname${n % 997}` },
        phones: [{ type: 'mobile', number: `+34 6${String(n).padStart(8, '0')}` }],
        emails: [{ type: 'home', address: `person${n}@example.com` }],
        note: 'met at the conference; likes tea',
        updatedOnDevice: at,
      };
    case 'notes':
      return {
        title: `Note ${n}`,
        text: `Shopping list ${n}: bread, olive oil, tomatoes, coffee beans, and call the plumber about the kitchen tap.`,
        pinned: n % 11 === 0,
        updatedOnDevice: at,
      };
    case 'messages':
      return {
        thread: `thread-${n % 97}`,
        from: `+34 6${String(n % 9973).padStart(8, '0')}`,
        text: `Message ${n}: see you at eight at the usual place, I will bring the tickets.`,
        at,
      };
    case 'app-data':
      return {
        app: `com.example.app${n % 7}`,
        key: `settings.${n}`,
        value: { theme: n % 2 ? 'dark' : 'light', volume: n % 100, lastOpened: at },
      };
  }
}

interface Target {
  items: number;
  account: BenchAccount;
  id: string;
  deviceTokens: string[];
  photos: number;
  setup?: AccountSetup;
}

/** Runs `count` tasks with `lanes` in flight. */
async function inLanes(count: number, lanes: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** POST /v1/sessions with correct passwords in a loop on each lane, every answer's end time and latency kept. */
class SignInLoad {
  private running = true;
  private readonly answers: Array<{ end: number; ms: number }> = [];
  private failures: string[] = [];
  private readonly lanes: Promise<void>[];

  constructor(origin: string, accounts: BenchAccount[]) {
    const url = new URL('/v1/sessions', origin);
    this.lanes = accounts.map(async (account) => {
      const body = JSON.stringify({ login: account.email, password: account.password, kind: 'api' });
      while (this.running) {
        const started = performance.now();
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': BENCH_USER_AGENT },
            body,
          });
          await response.arrayBuffer();
          const end = performance.now();
          if (response.status === 201) this.answers.push({ end, ms: end - started });
          else this.failures.push(`answered ${response.status}`);
        } catch (error) {
          this.failures.push(String(error));
        }
      }
    });
  }

  window(from: number, to: number, cpu?: CpuShare): SignInWindow {
    const inside = this.answers.filter((a) => a.end >= from && a.end < to).map((a) => a.ms);
    const sorted = [...inside].sort((a, b) => a - b);
    const seconds = (to - from) / 1000;
    return {
      seconds: round(seconds, 2),
      completed: inside.length,
      perSecond: round(inside.length / seconds, 1),
      p50Ms: round(median(inside), 0),
      p99Ms: round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN, 0),
      maxMs: round(sorted[sorted.length - 1] ?? NaN, 0),
      ...(cpu ? { cpu } : {}),
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
    if (this.failures.length > 0)
      throw new Error(`${this.failures.length} sign-ins failed during the load, e.g. ${this.failures[0]}`);
  }
}

/** Where a file holds a byte string: offsets of the first `limit` occurrences (read in chunks that overlap by the needle's length). */
function occurrences(file: string, needle: Buffer, limit = 20): number[] {
  if (!fs.existsSync(file)) return [];
  const found = new Set<number>();
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(16 * MiB);
    for (let position = 0; found.size < limit; ) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, position);
      for (
        let at = chunk.subarray(0, read).indexOf(needle);
        at >= 0 && at + needle.length <= read && found.size < limit;
        at = chunk.subarray(0, read).indexOf(needle, at + 1)
      )
        found.add(position + at);
      if (read < chunk.length) break;
      position += read - needle.length + 1;
    }
  } finally {
    fs.closeSync(fd);
  }
  return [...found];
}

/** Where in a SQLite file a leftover lies: which page of which b-tree, and which part of the page. */
interface Leftover {
  file: string;
  page: number;
  /** From dbstat: e.g. "leaf page of cloud_items_seq"; none for free-list pages. */
  owner: string;
  region: 'cell' | 'freeblock' | 'unallocated space' | 'not a b-tree page';
}

/**
 * Classifies each offset by the page's header (SQLite file format, section 1.6): within a live cell, a
 * freeblock, or the unallocated space between the cell pointers and the cell content area.
 */
function classify(file: string, offsets: number[]): Leftover[] {
  const sqlite = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  const fd = fs.openSync(file, 'r');
  try {
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    return offsets.map((offset) => {
      const pageno = Math.floor(offset / pageSize) + 1;
      const stat = sqlite.prepare('SELECT name, pagetype FROM dbstat WHERE pageno = ?').get(pageno) as
        | { name: string; pagetype: string }
        | undefined;
      const page = Buffer.alloc(pageSize);
      fs.readSync(fd, page, 0, pageSize, (pageno - 1) * pageSize);
      const at = offset % pageSize;
      const hdr = pageno === 1 ? 100 : 0;
      const type = page[hdr]!;
      const owner = stat ? `${stat.pagetype} page of ${stat.name}` : 'no b-tree';
      if (!stat || ![2, 5, 10, 13].includes(type) || stat.pagetype === 'overflow')
        return { file, page: pageno, owner, region: 'not a b-tree page' as const };
      const cells = page.readUInt16BE(hdr + 3);
      const contentStart = page.readUInt16BE(hdr + 5) || 65536;
      const pointersEnd = hdr + (type === 2 || type === 5 ? 12 : 8) + 2 * cells;
      if (at >= pointersEnd && at < contentStart)
        return { file, page: pageno, owner, region: 'unallocated space' as const };
      for (let block = page.readUInt16BE(hdr + 1); block !== 0; block = page.readUInt16BE(block)) {
        if (at >= block && at < block + page.readUInt16BE(block + 2))
          return { file, page: pageno, owner, region: 'freeblock' as const };
      }
      return { file, page: pageno, owner, region: 'cell' as const };
    });
  } finally {
    fs.closeSync(fd);
    sqlite.close();
  }
}

function filesUnder(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? filesUnder(path.join(folder, entry.name)) : [path.join(folder, entry.name)],
    );
}

export async function benchDeletion(
  database: BenchDialect,
  build: ServerBuild,
  settings: DeletionSettings,
  say: (line: string) => void,
): Promise<DeletionResult> {
  const result: DeletionResult = {
    settings,
    setups: [],
    seeds: [],
    cases: [],
    checks: [],
    loadAverageAtStart: loadAverageNow(),
  };
  const steps = [...settings.itemSteps].sort((a, b) => a - b);
  const photoCount = Math.max(1, Math.round((settings.photoMiB * MiB) / settings.photoBytes));
  const mibOf = (photoCount: number) => round((photoCount * settings.photoBytes) / MiB, 0);
  const photos = await BenchPhotos.make(settings.photoBytes);
  try {
    // Other accounts with three devices each and no cloud; the measured accounts' items go in through the same seeder.
    const seeding = { contacts: 0 };
    await withSeededServer({ database, build, label: 'deletion', settings: seeding, say }, async (seeded) => {
      const { server, dataDir, pg: pgDb, seeder } = seeded;
      const lookupKey = deriveServerKeys(masterKeyOf(dataDir)).lookup;
      const peek = await ServerDatabase.open(database, dataDir, pgDb?.url);
      try {
        // People who sign in while a large account is erased, made through the API.
        const signers = await Promise.all(
          Array.from({ length: settings.signInConcurrency }, (_, i) => signUp(server.url, dataDir, 4000 + i)),
        );

        // The accounts to delete, in the order they are deleted.
        const probe = { items: steps[0]!, photos: Math.min(settings.probePhotos, photoCount) };
        const plan: Array<{ items: number; photos: number; kind: CaseKind }> = [
          ...Array.from({ length: settings.probeRepeats }, () => ({
            ...probe,
            kind: 'probe, smaller database' as const,
          })),
          ...Array.from({ length: settings.probeRepeats }, () => ({
            ...probe,
            kind: 'probe, larger database' as const,
          })),
          ...steps.map((items) => ({ items, photos: photoCount, kind: 'measured' as const })),
          { items: steps[steps.length - 1]!, photos: photoCount, kind: 'under sign-in load' },
        ];
        const targets: Target[] = [];
        for (const [index, planned] of plan.entries()) {
          const account = await signUp(server.url, dataDir, 3000 + index);
          const me = await api<{ id: string }>(server.url, 'GET', '/v1/me', { token: account.token });
          const deviceTokens: string[] = [];
          for (let d = 0; d < settings.devicesPerAccount; d++)
            deviceTokens.push(
              await linkDevice(server.url, account.token, `DL${randomBytes(4).toString('hex').toUpperCase()}${d}`),
            );
          // One more session, as a second browser would have.
          await signIn(server.url, account);
          const target: Target = { items: planned.items, account, id: me.id, deviceTokens, photos: planned.photos };
          const itemsSeedSeconds = await seeder.addItems(me.id, planned.items, seedItem);
          await checkSeededItems(server.url, target, result.checks);
          const photosUploadSeconds = await uploadPhotos(server.url, target, photos, settings);
          target.setup = {
            items: planned.items,
            photos: planned.photos,
            itemsSeedSeconds: round(itemsSeedSeconds, 2),
            photosUploadSeconds: round(photosUploadSeconds, 2),
            photosMiBPerSecond: round(mibOf(planned.photos) / photosUploadSeconds, 1),
          };
          result.setups.push(target.setup);
          targets.push(target);
          say(
            `  account ${index + 1} of ${plan.length}: ${planned.items.toLocaleString('en-US')} items seeded in ${round(itemsSeedSeconds, 1)} s, ` +
              `${planned.photos} photos (${mibOf(planned.photos)} MiB) uploaded in ${round(photosUploadSeconds, 1)} s, ${settings.devicesPerAccount} devices`,
          );
        }
        await seeder.settle();
        await waitForThumbnails(peek);

        const otherAccountsFor = (kind: CaseKind) =>
          kind === 'probe, smaller database' ? settings.probeOtherAccounts : settings.otherAccounts;
        const caseOf = (index: number, measured: Measured): DeletionCase => {
          const { kind } = plan[index]!;
          const target = targets[index]!;
          return {
            kind,
            items: target.items,
            photos: target.photos,
            photoMiB: mibOf(target.photos),
            otherAccounts: otherAccountsFor(kind),
            ...measured,
          };
        };
        const sayCase = (c: DeletionCase) =>
          say(
            `  ${c.kind}: ${c.items.toLocaleString('en-US')} items and ${c.photoMiB} MiB of photos with ${c.otherAccounts.toLocaleString('en-US')} other accounts: ` +
              `confirm ${c.confirmMs} ms, then no residue after ${c.erasureSeconds} s (server's own record ${c.serverErasureSeconds} s; residue check ${c.residueCheckSeconds} s)` +
              (c.leftovers.length
                ? `; but its id is still in the free space of live pages: ${c.leftovers.join('; ')}`
                : ''),
          );
        // A seeded account answers as a real one (bench/devices.ts checks the seed in depth).
        const checkOthers = async () => {
          const devices = await api<{ devices: unknown[] }>(server.url, 'GET', '/v1/devices', {
            token: seeder.tokenOf(seeder.accounts - 1),
          });
          if (devices.devices.length !== seeder.settings.devicesPerAccount)
            throw new Error(`a seeded account lists ${devices.devices.length} devices`);
        };
        const grow = async (accounts: number) => {
          const { seed } = await seeded.grow(accounts);
          result.seeds.push(seed);
          await checkOthers();
        };

        const deleteTarget = (target: Target, moments: Pick<DeleteOptions, 'onConfirmSent' | 'onErased'> = {}) =>
          deleteAndCheck({
            baseUrl: server.url,
            dataDir,
            database,
            peek,
            lookupKey,
            pgName: pgDb?.name,
            serverPid: server.pid,
            target,
            ...moments,
          });

        let grown = 0;
        for (const [index, { kind }] of plan.entries()) {
          if (kind === 'under sign-in load') continue;
          if (grown < otherAccountsFor(kind)) await grow((grown = otherAccountsFor(kind)));
          const deletion = caseOf(index, await deleteTarget(targets[index]!));
          result.cases.push(deletion);
          sayCase(deletion);
        }
        const probeSeconds = (kind: CaseKind) =>
          median(result.cases.filter((c) => c.kind === kind).map((c) => c.erasureSeconds));
        const medianSeconds: [number, number] = [
          probeSeconds('probe, smaller database'),
          probeSeconds('probe, larger database'),
        ];
        result.databaseRatio = {
          otherAccounts: [settings.probeOtherAccounts, settings.otherAccounts],
          medianSeconds,
          ratio: round(medianSeconds[1] / medianSeconds[0], 2),
        };
        say(
          `  probes: median ${medianSeconds[0]} s with ${settings.probeOtherAccounts.toLocaleString('en-US')} other accounts, ${medianSeconds[1]} s with ${settings.otherAccounts.toLocaleString('en-US')}: × ${result.databaseRatio.ratio}`,
        );

        // Sign-in by other people before, during and after the erasure of another account of the largest size.
        const load = new SignInLoad(server.url, signers);
        try {
          await sleep(2000);
          const before = await timedWindow(server.pid, pgDb?.name, () => sleep(settings.signInWindowSeconds * 1000));
          let duringFrom = 0;
          let duringTo = 0;
          const loaded = await deleteTarget(targets[targets.length - 1]!, {
            onConfirmSent: (at) => (duringFrom = at),
            onErased: (at) => (duringTo = at),
          });
          const after = await timedWindow(server.pid, pgDb?.name, () => sleep(settings.signInWindowSeconds * 1000));
          await load.stop();
          const deletion = caseOf(plan.length - 1, loaded);
          result.cases.push(deletion);
          const windows = {
            before: load.window(before.from, before.to, before.cpu),
            during: load.window(duringFrom, duringTo, loaded.cpu),
            after: load.window(after.from, after.to, after.cpu),
          };
          result.signIn = {
            concurrency: settings.signInConcurrency,
            ...windows,
            duringOverBefore: round(windows.during.perSecond / windows.before.perSecond, 2),
            duringOverAfter: round(windows.during.perSecond / windows.after.perSecond, 2),
          };
          sayCase(deletion);
          say(
            `  under sign-in load: erased in ${deletion.erasureSeconds} s (confirm ${deletion.confirmMs} ms); sign-in ${windows.before.perSecond} req/s before (p99 ${windows.before.p99Ms} ms), ` +
              `${windows.during.perSecond} during (p99 ${windows.during.p99Ms} ms, ${windows.during.completed} in ${windows.during.seconds} s), ${windows.after.perSecond} after: during/before ${result.signIn.duringOverBefore}`,
          );
        } finally {
          await load.stop().catch(() => undefined);
        }
        await checkOthers();
        result.checks.push(
          `every deletion: the account's rows were in ${Object.keys(result.cases[0]!.rowsBefore).join(', ')} and its photos and thumbnails in the blob store before; after it, none of its rows in any table with an account_id column, its erasure finished with the account id cleared, no blob folder, no key in the key ring, sign-in refused, and its id in no live cell of keyring.db${database === 'sqlite' ? ' and lanyard.db' : ''} nor in a WAL (copies in the free space of live pages are listed as leftovers); other people signed in throughout and a seeded account still lists its devices`,
        );
      } finally {
        await peek.close();
      }
    });
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    say(`  ${database} deletion failed: ${result.error}`);
  }
  return result;
}

async function timedWindow(serverPid: number, pgName: string | undefined, run: () => Promise<unknown>) {
  const from = performance.now();
  const { cpu } = await withCpuShare(serverPid, pgName, run);
  return { from, to: performance.now(), cpu };
}

/**
 * Seeded items answer as API-written ones: GET /v1/cloud counts them per collection, a few read back
 * with their data (which needs the key, the binding and the JSON right), and an item PUT through the API
 * afterwards takes the next seq, so that delta sync from the last seeded item returns exactly it.
 */
async function checkSeededItems(baseUrl: string, target: Target, checks: string[]) {
  const token = target.deviceTokens[0]!;
  const summary = await api<{ collections: Record<string, { count: number }> }>(baseUrl, 'GET', '/v1/cloud', { token });
  for (const [c, collection] of JSON_COLLECTIONS.entries()) {
    const expected =
      Math.floor(target.items / JSON_COLLECTIONS.length) + (c < target.items % JSON_COLLECTIONS.length ? 1 : 0);
    if (summary.collections[collection]!.count !== expected)
      throw new Error(
        `GET /v1/cloud counts ${summary.collections[collection]!.count} ${collection}, ${expected} were seeded`,
      );
  }
  for (const n of [0, 1, 2, 3, target.items - 1]) {
    const item = await api<{ data: unknown; version: number }>(
      baseUrl,
      'GET',
      `/v1/cloud/${collectionOf(n)}/${itemIdOf(n)}`,
      { token },
    );
    if (JSON.stringify(item.data) !== JSON.stringify(itemData(collectionOf(n), n)) || item.version !== 1)
      throw new Error(`seeded item ${n} reads back as ${JSON.stringify(item)}`);
  }
  const lastCollection = collectionOf(target.items - 1);
  const upToLast = await listChanges(baseUrl, token, lastCollection);
  const extra = { title: 'written through the API after the seed', text: 'lanyard bench' };
  await api(baseUrl, 'PUT', `/v1/cloud/${lastCollection}/api-item`, { token, body: extra });
  const delta = await api<{ items: Array<{ id: string; data: unknown }> }>(
    baseUrl,
    'GET',
    `/v1/cloud/${lastCollection}?since=${encodeURIComponent(upToLast.cursor)}`,
    { token },
  );
  if (delta.items.length !== 1 || delta.items[0]!.id !== 'api-item')
    throw new Error(`delta sync after the seeded items returned ${JSON.stringify(delta.items.map((i) => i.id))}`);
  await api(baseUrl, 'DELETE', `/v1/cloud/${lastCollection}/api-item`, { token });
  if (checks.length === 0) {
    checks.push(
      `seeded items: GET /v1/cloud counts them per collection; items read back with their data and version 1; delta sync from the start reads ${upToLast.items} ${lastCollection} and, from its cursor, exactly the item then PUT through the API`,
    );
  }
}

/** Every live item of a collection through delta sync from the start; with the last cursor. */
async function listChanges(
  baseUrl: string,
  token: string,
  collection: string,
): Promise<{ items: number; cursor: string }> {
  let cursor: string | undefined;
  let items = 0;
  for (let hasMore = true; hasMore; ) {
    const page = await api<{ items: unknown[]; cursor: string; hasMore: boolean }>(
      baseUrl,
      'GET',
      `/v1/cloud/${collection}?limit=1000${cursor ? `&since=${encodeURIComponent(cursor)}` : ''}`,
      { token },
    );
    items += page.items.length;
    cursor = page.cursor;
    hasMore = page.hasMore;
  }
  return { items, cursor: cursor! };
}

/** The photos through PUT /v1/cloud/photos/{id} with a device token, a few in flight; returns the seconds. */
async function uploadPhotos(
  baseUrl: string,
  target: Target,
  photos: BenchPhotos,
  settings: DeletionSettings,
): Promise<number> {
  const started = performance.now();
  await inLanes(target.photos, settings.photoConcurrency, async (i) => {
    const bytes = photos.photo(i);
    await uploadPhoto(baseUrl, target.deviceTokens[0]!, `IMG_${String(i).padStart(4, '0')}.jpg`, bytes);
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = await api<{ collections: Record<string, { count: number; bytes: number }> }>(
    baseUrl,
    'GET',
    '/v1/cloud',
    { token: target.deviceTokens[0]! },
  );
  if (
    summary.collections.photos!.count !== target.photos ||
    summary.collections.photos!.bytes !== target.photos * settings.photoBytes
  ) {
    throw new Error(
      `GET /v1/cloud counts ${JSON.stringify(summary.collections.photos)} photos after ${target.photos} uploads`,
    );
  }
  return seconds;
}

/** Waits until every thumbnail job has run, so that the erasures are timed on a quiet server. */
async function waitForThumbnails(peek: ServerDatabase): Promise<void> {
  const deadline = performance.now() + 600_000;
  while (performance.now() < deadline) {
    const [pending] = await peek.all<{ n: number | string }>(
      `SELECT count(*) AS n FROM jobs WHERE kind = 'cloud.thumbnail' AND failed_at IS NULL`,
    );
    if (Number(pending?.n) === 0) {
      const [failed] = await peek.all<{ n: number | string }>(
        `SELECT count(*) AS n FROM jobs WHERE failed_at IS NOT NULL`,
      );
      if (Number(failed?.n) > 0) throw new Error(`${failed!.n} jobs failed before the deletions`);
      return;
    }
    await sleep(250);
  }
  throw new Error('the thumbnails were not all made within 10 minutes');
}

interface DeleteOptions {
  baseUrl: string;
  dataDir: string;
  database: BenchDialect;
  peek: ServerDatabase;
  lookupKey: Buffer;
  pgName: string | undefined;
  serverPid: number;
  target: Target;
  /** When the confirmation was sent and when the erasure was seen finished (performance.now()). */
  onConfirmSent?: (at: number) => void;
  onErased?: (at: number) => void;
}

type Measured = Pick<
  DeletionCase,
  | 'rowsBefore'
  | 'blobFilesBefore'
  | 'confirmMs'
  | 'erasureSeconds'
  | 'serverErasureSeconds'
  | 'residueCheckSeconds'
  | 'residueChecked'
  | 'leftovers'
  | 'cpu'
>;

/**
 * The deletion as a person goes through it (API.md, Deletion): what will be lost, the request with a fresh
 * session, the code from the outbox, the confirmation releasing the devices. Then the erasure is polled
 * until its job chain has ended, and the residue check must find nothing of the account.
 */
async function deleteAndCheck(options: DeleteOptions): Promise<Measured> {
  const { baseUrl, dataDir, peek, target } = options;
  const { account, id } = target;
  const blobFolder = path.join(dataDir, 'blobs', id);
  const fresh = await signIn(baseUrl, account);
  const summary = await api<{
    collections: Record<string, { count: number }>;
    photos: { count: number };
    devices: unknown[];
  }>(baseUrl, 'GET', '/v1/me/deletion', { token: fresh });
  const summed = JSON_COLLECTIONS.reduce((sum, c) => sum + summary.collections[c]!.count, 0);
  if (
    summed !== target.items ||
    summary.photos.count !== target.photos ||
    summary.devices.length !== target.deviceTokens.length
  ) {
    throw new Error(
      `GET /v1/me/deletion lists ${summed} items, ${summary.photos.count} photos and ${summary.devices.length} devices`,
    );
  }
  const rowsBefore = await peek.rowsOf(id);
  const blobFilesBefore = filesUnder(blobFolder).length;
  if (blobFilesBefore !== 2 * target.photos)
    throw new Error(
      `the blob store holds ${blobFilesBefore} files of the account, not ${target.photos} photos and their thumbnails`,
    );

  const seen = outboxFor(dataDir, account.email).length;
  const asked = await api<{ id: string }>(baseUrl, 'POST', '/v1/me/deletion', {
    token: fresh,
    body: { confirm: CONFIRMATION_SENTENCE, channel: 'email' },
  });
  const code = await nextCode(dataDir, account.email, seen);
  const hash = hmac(options.lookupKey, 'tombstone', id);

  let confirmMs = 0;
  let confirmedAt = 0;
  const { result: done, cpu } = await withCpuShare(options.serverPid, options.pgName, async () => {
    const sent = performance.now();
    options.onConfirmSent?.(sent);
    const confirmed = await api<{ status: string }>(baseUrl, 'POST', `/v1/me/deletion/${asked.id}/confirm`, {
      token: fresh,
      body: { code, releaseDevices: true },
    });
    confirmedAt = performance.now();
    confirmMs = confirmedAt - sent;
    if (confirmed.status !== 'deleted') throw new Error(`the confirmation answered ${JSON.stringify(confirmed)}`);
    const erased = await waitForErasure(peek, hash);
    options.onErased?.(erased.at);
    return erased;
  });

  const checkStarted = performance.now();
  const { checked: residueChecked, leftovers } = await checkNoResidue(options, hash);
  return {
    rowsBefore,
    blobFilesBefore,
    confirmMs: round(confirmMs, 0),
    erasureSeconds: round((done.at - confirmedAt) / 1000, 3),
    serverErasureSeconds: round((done.completedAt - done.deletedAt) / 1000, 2),
    residueCheckSeconds: round((performance.now() - checkStarted) / 1000, 2),
    residueChecked,
    leftovers,
    cpu,
  };
}

/** Polls the erasure until it is erased and its job chain has ended (on SQLite, after the WAL checkpoint). */
async function waitForErasure(
  peek: ServerDatabase,
  hash: string,
): Promise<{ at: number; deletedAt: number; completedAt: number }> {
  const deadline = performance.now() + 15 * 60_000;
  for (;;) {
    const [row] = await peek.all<{
      status: string;
      job_id: string | null;
      deleted_at: number | string;
      completed_at: number | string | null;
    }>('SELECT status, job_id, deleted_at, completed_at FROM erasures WHERE account_hash = ?', [hash]);
    const at = performance.now();
    if (row?.status === 'erased' && row.job_id === null)
      return { at, deletedAt: Number(row.deleted_at), completedAt: Number(row.completed_at) };
    if (at > deadline) {
      const [job] = row?.job_id
        ? await peek.all<{ attempts: number; last_error: string | null }>(
            'SELECT attempts, last_error FROM jobs WHERE id = ?',
            [row.job_id],
          )
        : [];
      throw new Error(`the erasure did not finish within 15 minutes: ${JSON.stringify({ row, job })}`);
    }
    await sleep(10);
  }
}

/**
 * Nothing of the account left: rows, the erasure's account id, blobs, its key, sign-in, and its id in no
 * live cell of the key ring's (and on SQLite the database's) files nor in their WALs. Copies of the id in
 * a page's free parts are returned as leftovers.
 */
async function checkNoResidue(
  options: DeleteOptions,
  hash: string,
): Promise<{ checked: string[]; leftovers: string[] }> {
  const { baseUrl, dataDir, database, peek, target } = options;
  const found: string[] = [];
  const tables = await peek.accountTables();
  const rows = await peek.rowsOf(target.id);
  for (const [table, n] of Object.entries(rows)) found.push(`${n} rows in ${table}`);
  const [erasure] = await peek.all<{ account_id: string | null; status: string }>(
    'SELECT account_id, status FROM erasures WHERE account_hash = ?',
    [hash],
  );
  if (erasure?.account_id !== null || erasure.status !== 'erased')
    found.push(`the erasure row is ${JSON.stringify(erasure)}`);
  if (fs.existsSync(path.join(dataDir, 'blobs', target.id)))
    found.push(`blob files: ${filesUnder(path.join(dataDir, 'blobs', target.id)).length}`);
  const keyRing = new SqliteDatabase(path.join(dataDir, 'keyring.db'), { readonly: true, fileMustExist: true });
  try {
    if (keyRing.prepare('SELECT 1 FROM account_keys WHERE account_id = ?').get(target.id))
      found.push('its key in the key ring');
  } finally {
    keyRing.close();
  }
  const refused = await fetch(new URL('/v1/sessions', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': BENCH_USER_AGENT },
    body: JSON.stringify({ login: target.account.email, password: target.account.password, kind: 'api' }),
  });
  if (refused.status !== 401) found.push(`sign-in answered ${refused.status}`);
  const files = ['keyring.db', 'keyring.db-wal', ...(database === 'sqlite' ? ['lanyard.db', 'lanyard.db-wal'] : [])];
  const leftovers: string[] = [];
  for (const file of files) {
    const at = occurrences(path.join(dataDir, file), Buffer.from(target.id));
    if (at.length === 0) continue;
    // After the erasure's checkpoint a WAL holds nothing of the account: any copy there is a live one.
    if (file.endsWith('-wal')) found.push(`its id ${at.length} times in ${file}`);
    else {
      for (const leftover of classify(path.join(dataDir, file), at)) {
        const where = `${file} page ${leftover.page} (${leftover.owner}): ${leftover.region}`;
        (leftover.region === 'cell' ? found : leftovers).push(where);
      }
    }
  }
  if (found.length > 0) {
    // The data folder goes with the server: keep its database files for a look at what was left.
    const kept = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-residue-'));
    for (const file of files)
      if (fs.existsSync(path.join(dataDir, file))) fs.copyFileSync(path.join(dataDir, file), path.join(kept, file));
    throw new Error(`residue of deleted account ${target.id}: ${found.join('; ')} (database files kept in ${kept})`);
  }
  return {
    checked: [
      `rows in ${tables.map((t) => t.table).join(', ')}`,
      'erasure row',
      'blob folder',
      'key ring',
      'sign-in',
      `its id in ${files.join(', ')}`,
    ],
    leftovers,
  };
}
