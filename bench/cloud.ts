// One account's phone backing up and syncing: 20,000 contacts and 200 photos of 3 MiB uploaded, then
// a full sync (every contact page by page, every photo downloaded), then delta syncs after small
// changes; the server's peak memory is watched throughout (it must stay under 300 MiB).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { api, linkDevice } from './api.js';
import { withCpuShare, type CpuShare } from './cpu.js';
import { memoryOf, withFreshServer, loadAverageNow, type BenchDialect, type PartOutcome } from './fresh-server.js';
import { BenchPhotos, sha256Hex, uploadPhoto } from './photos.js';
import { median, round } from './stats.js';
import { checkedRun, loadRotating } from './rotating-load.js';
import { BENCH_USER_AGENT, signUp } from './seed.js';
import type { ServerBuild } from './server.js';

export interface CloudSettings {
  contacts: number;
  photos: number;
  photoBytes: number;
  contactConnections: number;
  photoConcurrency: number;
  /** Items per page of a full sync (the API's default). */
  pageLimit: number;
  deltaRounds: number;
  changesPerRound: number;
}

export const DEFAULT_CLOUD_SETTINGS: CloudSettings = {
  contacts: 20_000,
  photos: 200,
  photoBytes: 3 * 2 ** 20,
  contactConnections: 8,
  photoConcurrency: 4,
  pageLimit: 500,
  deltaRounds: 20,
  changesPerRound: 5,
};

export const RSS_TARGET_MIB = 300;

interface Throughput {
  items: number;
  seconds: number;
  itemsPerSecond: number;
  mibPerSecond: number;
  cpu?: CpuShare | undefined;
}

export interface CloudResult extends PartOutcome {
  settings: CloudSettings;
  contactsUpload?: Throughput & { p50Ms: number; p99Ms: number };
  /** The same number of contacts for another phone through POST /v1/cloud/contacts/batch, 1,000 a request, one request at a time. */
  contactsBatchUpload?: Throughput & {
    requests: number;
    p50Ms: number;
    maxMs: number;
    targetItemsPerSecond: number;
    met: boolean;
  };
  photosUpload?: Throughput & { p50Ms: number; maxMs: number; thumbnailsDoneSeconds: number };
  contactsFullSync?: Throughput & { pages: number; pageP50Ms: number; pageMaxMs: number };
  /** listPages: delta-sync pages it took to list the photos; p50Ms / maxMs: one photo's download. */
  photosFullSync?: Throughput & { listPages: number; p50Ms: number; maxMs: number };
  /** GET ?since=cursor right after a few changes (changesPerRound updates and one deletion), client-side time. */
  deltaSync?: { rounds: number; p50Ms: number; maxMs: number; emptyP50Ms: number; emptyMaxMs: number };
  memory?: {
    startMiB: number;
    peakMiB: number;
    peakSampledByPhaseMiB: Record<string, number>;
    targetMiB: number;
    met: boolean;
  };
}

const MiB = 2 ** 20;
const ms = (from: number) => round(performance.now() - from, 2);

function contact(n: number, edit = 0) {
  return {
    name: { given: `Person${n}`, family: `Surname${n % 997}`, display: `Person${n} Surname${n % 997}` },
    phones: [
      { type: 'mobile', number: `+34 6${String(n).padStart(8, '0')}` },
      ...(n % 3 === 0 ? [{ type: 'work', number: `+34 9${String(n).padStart(8, '0')}` }] : []),
    ],
    emails: [{ type: 'home', address: `person${n}@example.com` }],
    organization: n % 4 === 0 ? `Company ${n % 101}` : null,
    note: edit ? `edited ${edit} times` : 'met at the conference; likes tea',
    starred: n % 17 === 0,
    updatedOnDevice: new Date(Date.UTC(2024, 0, 1) + n * 60_000 + edit).toISOString(),
  };
}

/** Samples the server's resident memory every 50 ms, keeping the highest per phase. */
class RssWatch {
  readonly peaks: Record<string, number> = {};
  phase = 'start';
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 50);
  }
  sample() {
    const rss = memoryOf(this.pid)?.rssMiB;
    if (rss !== undefined) this.peaks[this.phase] = round(Math.max(this.peaks[this.phase] ?? 0, rss), 1);
  }
  stop() {
    clearInterval(this.timer);
  }
}

/** Runs `count` tasks with `lanes` in flight; returns each task's duration in ms. */
async function inLanes(count: number, lanes: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const i = next++;
        const started = performance.now();
        await task(i);
        durations.push(performance.now() - started);
      }
    }),
  );
  return durations;
}

export async function benchCloud(
  database: BenchDialect,
  build: ServerBuild,
  settings: CloudSettings,
  say: (line: string) => void,
): Promise<CloudResult> {
  const result: CloudResult = { settings, checks: [], loadAverageAtStart: loadAverageNow() };
  const photos = await BenchPhotos.make(settings.photoBytes);
  try {
    await withFreshServer(database, build, 'cloud', async ({ server, dataDir, pg }) => {
      say(`\n${database}, cloud: server pid ${server.pid}${pg ? ` on database ${pg.name}` : ''}`);
      const account = await signUp(server.url, dataDir, 2000);
      // A phone syncs with its device token.
      const token = await linkDevice(server.url, account.token, `CL${randomBytes(4).toString('hex').toUpperCase()}`);
      const auth = { authorization: `Bearer ${token}` };
      const watch = new RssWatch(server.pid);
      const startMiB = memoryOf(server.pid)?.rssMiB ?? NaN;
      const timed = <T>(run: () => Promise<T>) => withCpuShare(server.pid, pg?.name, run);
      try {
        // Upload: contacts as a phone's first backup does, several in flight.
        watch.phase = 'contacts upload';
        const contactBody = (n: number) => JSON.stringify(contact(n));
        const up = await timed(() =>
          loadRotating({
            origin: server.url,
            method: 'PUT',
            connections: settings.contactConnections,
            amount: settings.contacts,
            request: (n) => ({
              path: `/v1/cloud/contacts/c${n}`,
              headers: { ...auth, 'content-type': 'application/json' },
              body: contactBody(n),
            }),
          }),
        );
        const upload = checkedRun(up.result, 'contacts upload');
        const summary = await api<{ collections: Record<string, { count: number }> }>(server.url, 'GET', '/v1/cloud', {
          token,
        });
        if (summary.collections.contacts!.count !== upload.completed)
          throw new Error(
            `uploaded ${upload.completed} contacts, the server counts ${summary.collections.contacts!.count}`,
          );
        const contactBytes = upload.completed * Buffer.byteLength(contactBody(12345));
        result.contactsUpload = {
          items: upload.completed,
          seconds: round(upload.seconds, 2),
          itemsPerSecond: round(upload.requestsPerSecond, 0),
          mibPerSecond: round(contactBytes / MiB / upload.seconds, 2),
          p50Ms: upload.latencyMs.p50,
          p99Ms: upload.latencyMs.p99,
          cpu: up.cpu,
        };
        say(
          `  contacts upload: ${upload.completed} in ${round(upload.seconds, 1)} s, ${Math.round(upload.requestsPerSecond)} items/s, p50 ${upload.latencyMs.p50} p99 ${upload.latencyMs.p99} ms`,
        );

        // Batch sync: another phone of another account restores as many contacts, 1,000 a request, one
        // request after the other, as a phone restoring its address book would; then a delta sync from the
        // start must return exactly them.
        watch.phase = 'contacts batch upload';
        const other = await signUp(server.url, dataDir, 2001);
        const otherToken = await linkDevice(
          server.url,
          other.token,
          `CB${randomBytes(4).toString('hex').toUpperCase()}`,
        );
        const batchTimes: number[] = [];
        const bu = await timed(async () => {
          let cursor: string | undefined;
          for (let from = 0; from < settings.contacts; from += 1000) {
            const ops = Array.from({ length: Math.min(1000, settings.contacts - from) }, (_, i) => ({
              op: 'put',
              id: `c${from + i}`,
              data: contact(from + i),
            }));
            const sent = performance.now();
            const answer: { results: Array<{ status: number }>; cursor: string } = await api(
              server.url,
              'POST',
              '/v1/cloud/contacts/batch',
              { token: otherToken, body: { ops, ...(cursor ? { since: cursor } : {}) } },
            );
            batchTimes.push(ms(sent));
            if (answer.results.some((r) => r.status !== 200))
              throw new Error(`a batch answered ${JSON.stringify(answer.results.find((r) => r.status !== 200))}`);
            cursor = answer.cursor;
          }
          return cursor;
        });
        const batchSeconds = batchTimes.reduce((sum, t) => sum + t, 0) / 1000;
        let deltaCount = 0;
        for (let since: string | undefined; ; ) {
          const page: { items: unknown[]; cursor: string; hasMore: boolean } = await api(
            server.url,
            'GET',
            `/v1/cloud/contacts?limit=1000${since ? `&since=${encodeURIComponent(since)}` : ''}`,
            { token: otherToken },
          );
          deltaCount += page.items.length;
          since = page.cursor;
          if (!page.hasMore) {
            if (since !== bu.result) throw new Error('the last batch cursor is not where a full delta sync ends');
            break;
          }
        }
        if (deltaCount !== settings.contacts)
          throw new Error(`a delta sync after the batches returned ${deltaCount} contacts of ${settings.contacts}`);
        const batchTarget = database === 'sqlite' ? 20_000 : 10_000;
        const batchRate = settings.contacts / batchSeconds;
        result.contactsBatchUpload = {
          items: settings.contacts,
          seconds: round(batchSeconds, 2),
          itemsPerSecond: round(batchRate, 0),
          mibPerSecond: round((settings.contacts * Buffer.byteLength(contactBody(12345))) / MiB / batchSeconds, 2),
          requests: batchTimes.length,
          p50Ms: round(median(batchTimes), 1),
          maxMs: round(Math.max(...batchTimes), 1),
          targetItemsPerSecond: batchTarget,
          met: batchRate >= batchTarget,
          cpu: bu.cpu,
        };
        say(
          `  contacts batch upload: ${settings.contacts} in ${batchTimes.length} requests, ${round(batchSeconds, 2)} s, ${Math.round(batchRate)} items/s (target ${batchTarget}), request p50 ${result.contactsBatchUpload.p50Ms} ms; a delta sync from the start returns exactly them`,
        );

        // Photos: 3 MiB each, streamed up a few at a time; the server makes their thumbnails in the background.
        watch.phase = 'photos upload';
        const uploaded = new Map<string, string>();
        const photoStart = performance.now();
        const pu = await timed(() =>
          inLanes(settings.photos, settings.photoConcurrency, async (i) => {
            const bytes = photos.photo(i);
            if (i < 3) uploaded.set(`p${i}`, sha256Hex(bytes));
            await uploadPhoto(server.url, token, `p${i}`, bytes);
          }),
        );
        const photoSeconds = (performance.now() - photoStart) / 1000;
        watch.phase = 'thumbnails';
        const thumbnailsDoneSeconds = await waitForThumbnails(server.url, token, settings.photos);
        result.photosUpload = {
          items: settings.photos,
          seconds: round(photoSeconds, 2),
          itemsPerSecond: round(settings.photos / photoSeconds, 1),
          mibPerSecond: round((settings.photos * settings.photoBytes) / MiB / photoSeconds, 1),
          p50Ms: round(median(pu.result), 1),
          maxMs: round(Math.max(...pu.result), 1),
          thumbnailsDoneSeconds: round(thumbnailsDoneSeconds, 1),
          cpu: pu.cpu,
        };
        say(
          `  photos upload: ${settings.photos} × ${settings.photoBytes / MiB} MiB in ${round(photoSeconds, 1)} s, ${result.photosUpload.mibPerSecond} MiB/s; every thumbnail made ${round(thumbnailsDoneSeconds, 1)} s after the last upload`,
        );

        // Full sync: a new phone reads every contact page by page, then every photo.
        watch.phase = 'contacts full sync';
        const pages: number[] = [];
        let cursor: string | undefined;
        const syncedIds: string[] = [];
        const cs = await timed(async () => {
          for (let hasMore = true; hasMore; ) {
            const started = performance.now();
            const page = await api<{ items: Array<{ id: string }>; cursor: string; hasMore: boolean }>(
              server.url,
              'GET',
              `/v1/cloud/contacts?limit=${settings.pageLimit}${cursor ? `&since=${encodeURIComponent(cursor)}` : ''}`,
              { token },
            );
            pages.push(performance.now() - started);
            for (const item of page.items) syncedIds.push(item.id);
            cursor = page.cursor;
            hasMore = page.hasMore;
          }
        });
        const synced = syncedIds.length;
        if (new Set(syncedIds).size !== upload.completed)
          throw new Error(`full sync read ${synced} contacts of ${upload.completed}`);
        const syncSeconds = pages.reduce((a, b) => a + b, 0) / 1000;
        result.contactsFullSync = {
          items: synced,
          pages: pages.length,
          seconds: round(syncSeconds, 2),
          itemsPerSecond: round(synced / syncSeconds, 0),
          mibPerSecond: round(contactBytes / MiB / syncSeconds, 2),
          pageP50Ms: round(median(pages), 1),
          pageMaxMs: round(Math.max(...pages), 1),
          cpu: cs.cpu,
        };
        say(
          `  contacts full sync: ${synced} in ${pages.length} pages, ${round(syncSeconds, 2)} s, ${result.contactsFullSync.itemsPerSecond} items/s, page p50 ${result.contactsFullSync.pageP50Ms} ms`,
        );

        watch.phase = 'photos full sync';
        let photoPages = 0;
        const photoSyncStart = performance.now();
        const ps = await timed(async () => {
          // Photo pages stop at 8 MiB of photo size although they carry no photo bytes: two photos a page.
          const listed = await listAll<{ id: string; size: number }>(server.url, token, 'photos');
          photoPages = listed.pages;
          if (listed.items.length !== settings.photos)
            throw new Error(`the photo list has ${listed.items.length} items`);
          return inLanes(listed.items.length, settings.photoConcurrency, async (i) => {
            const item = listed.items[i]!;
            const response = await fetch(new URL(`/v1/cloud/photos/${item.id}`, server.url), {
              headers: { ...auth, 'user-agent': BENCH_USER_AGENT },
            });
            if (response.status !== 200) throw new Error(`downloading ${item.id} answered ${response.status}`);
            const bytes = Buffer.from(await response.arrayBuffer());
            if (bytes.length !== settings.photoBytes)
              throw new Error(`${item.id} came back with ${bytes.length} bytes`);
            const expected = uploaded.get(item.id);
            if (expected && sha256Hex(bytes) !== expected) throw new Error(`${item.id} came back altered`);
          });
        });
        const photoSyncSeconds = (performance.now() - photoSyncStart) / 1000;
        result.photosFullSync = {
          items: settings.photos,
          seconds: round(photoSyncSeconds, 2),
          itemsPerSecond: round(settings.photos / photoSyncSeconds, 1),
          mibPerSecond: round((settings.photos * settings.photoBytes) / MiB / photoSyncSeconds, 1),
          listPages: photoPages,
          p50Ms: round(median(ps.result), 1),
          maxMs: round(Math.max(...ps.result), 1),
          cpu: ps.cpu,
        };
        say(
          `  photos full sync: ${settings.photos} listed in ${photoPages} pages and downloaded in ${round(photoSyncSeconds, 1)} s, ${result.photosFullSync.mibPerSecond} MiB/s`,
        );

        watch.phase = 'delta sync';
        result.deltaSync = await deltaSync(server.url, token, cursor!, settings, syncedIds);
        say(
          `  delta sync after ${settings.changesPerRound} changes and a deletion: p50 ${result.deltaSync.p50Ms} ms, max ${result.deltaSync.maxMs} ms; with nothing new: p50 ${result.deltaSync.emptyP50Ms} ms`,
        );
        result.checks.push(
          `${upload.completed} contacts counted by GET /v1/cloud and read back by the full sync; ${settings.photos} photos listed and downloaded at their exact size, the first three byte for byte; every delta carried exactly its changes`,
        );
      } finally {
        watch.sample();
        watch.stop();
        const peak = memoryOf(server.pid)?.peakMiB ?? NaN;
        result.memory = {
          startMiB: round(startMiB, 1),
          peakMiB: round(peak, 1),
          peakSampledByPhaseMiB: watch.peaks,
          targetMiB: RSS_TARGET_MIB,
          met: peak < RSS_TARGET_MIB,
        };
        say(
          `  server RSS: ${round(startMiB, 0)} MiB after start, peak ${round(peak, 0)} MiB (VmHWM; target < ${RSS_TARGET_MIB})`,
        );
      }
    });
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    say(`  ${database} cloud failed: ${result.error}`);
  }
  return result;
}

/** Every live item of a collection through delta sync from the start, page by page; with the number of pages. */
async function listAll<T>(baseUrl: string, token: string, collection: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (let hasMore = true; hasMore; pages++) {
    const page = await api<{ items: T[]; cursor: string; hasMore: boolean }>(
      baseUrl,
      'GET',
      `/v1/cloud/${collection}?limit=1000${cursor ? `&since=${encodeURIComponent(cursor)}` : ''}`,
      { token },
    );
    items.push(...page.items);
    cursor = page.cursor;
    hasMore = page.hasMore;
  }
  return { items, pages };
}

/** Waits until every photo has its thumbnail; returns the seconds it took. */
async function waitForThumbnails(baseUrl: string, token: string, count: number): Promise<number> {
  const started = performance.now();
  const deadline = started + 120_000;
  while (performance.now() < deadline) {
    const { items } = await listAll<{ thumbnail?: boolean }>(baseUrl, token, 'photos');
    if (items.length === count && items.every((item) => item.thumbnail)) return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the thumbnails were not all made within 2 minutes');
}

/** Rounds of a few edits and a deletion, each followed by the delta sync a phone would run, then an empty one. */
async function deltaSync(
  baseUrl: string,
  token: string,
  start: string,
  settings: CloudSettings,
  ids: string[],
): Promise<NonNullable<CloudResult['deltaSync']>> {
  let cursor = start;
  const timings: number[] = [];
  const empty: number[] = [];
  let next = 0;
  const since = () => `/v1/cloud/contacts?since=${encodeURIComponent(cursor)}`;
  for (let round = 1; round <= settings.deltaRounds; round++) {
    // Spread over the collection (7919 is prime, so the picks do not repeat), never the same item twice.
    const pick = () => ids[(next++ * 7919) % ids.length]!;
    const changed = Array.from({ length: settings.changesPerRound }, pick);
    const removed = pick();
    for (const id of changed)
      await api(baseUrl, 'PUT', `/v1/cloud/contacts/${id}`, { token, body: contact(Number(id.slice(1)), round) });
    await api(baseUrl, 'DELETE', `/v1/cloud/contacts/${removed}`, { token });
    const started = performance.now();
    const delta = await api<{ items: Array<{ id: string }>; deleted: string[]; cursor: string }>(
      baseUrl,
      'GET',
      since(),
      { token },
    );
    timings.push(ms(started));
    if (delta.items.length !== changed.length || delta.deleted.join() !== removed)
      throw new Error(
        `a delta after ${changed.length} edits and a deletion carried ${delta.items.length} items and ${delta.deleted.length} deletions`,
      );
    cursor = delta.cursor;
    const quiet = performance.now();
    const none = await api<{ items: unknown[]; deleted: string[] }>(baseUrl, 'GET', since(), { token });
    empty.push(ms(quiet));
    if (none.items.length + none.deleted.length !== 0) throw new Error('a delta with nothing new was not empty');
  }
  return {
    rounds: settings.deltaRounds,
    p50Ms: round(median(timings), 2),
    maxMs: round(Math.max(...timings), 2),
    emptyP50Ms: round(median(empty), 2),
    emptyMaxMs: round(Math.max(...empty), 2),
  };
}
