/**
 * The report's images, each named by the sha256 of what it shows, so a second report (or the
 * next watch update) reuses every one already made: thumbnails (`thumbs/`, WebP, 320 px),
 * input previews (`inputs/`, WebP, at most 2048 px: any source format a browser cannot show,
 * HEIC say, still opens) and change maps (`maps/`, the PNG blob as stored). Each is written to a
 * temp name in its folder and renamed into place: a half-written image never exists.
 * Folders no longer referenced lose their files (`prune`).
 */
import { copyFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import pLimit from 'p-limit';
import { REPORT_ASSET_DIRS } from '../plan/report-paths.js';
import { whyUndecodable } from '../run/drift.js';
import { isTempName, STALE_TEMP_MS } from '../store/atomic.js';
import { uniqueSuffix } from '../util/unique-suffix.js';
import type { AssetJob } from './collect.js';
import { ensureRealDir } from './safe-dir.js';

const THUMB_PX = 320;
const PREVIEW_PX = 2048;

export interface AssetResult {
  /**
   * `<kind>/<sha256>.<ext>` of each job that could not be made (an unreadable image), and why, in
   * words for the page (`the image cannot be decoded (…)`), the file named only by its name.
   */
  readonly failed: ReadonlyMap<string, string>;
  readonly made: number;
  readonly reused: number;
}

export function assetName(job: AssetJob): string {
  return `${job.kind}/${job.sha256}.${job.kind === 'maps' ? 'png' : 'webp'}`;
}

/**
 * Make the images not made yet, `atOnce()` at a time (asked as each starts). Each sharp call
 * holds one of libuv's 4 threads until it is done, and every file read or write of the process
 * waits for a free one.
 */
export async function makeAssets(
  reportDir: string,
  jobs: readonly AssetJob[],
  atOnce: () => number = () => 4,
  /** Aborted: the images not begun yet are not made (the caller abandons the page). */
  signal?: AbortSignal,
): Promise<AssetResult> {
  for (const dir of REPORT_ASSET_DIRS) await ensureRealDir(join(reportDir, dir), reportDir);
  const existing = await existingAssets(reportDir);
  const unique = new Map(jobs.map((j) => [assetName(j), j] as const));
  const failed = new Map<string, string>();
  let made = 0;
  // Only the images not there yet are queued: a second report of 1,000 nodes queues none.
  const missing = [...unique].filter(([name]) => !existing.has(name));
  const limit = pLimit(atOnce());
  await Promise.all(
    missing.map(([name, job]) =>
      limit(async () => {
        if (signal?.aborted) return;
        limit.concurrency = Math.max(1, atOnce());
        try {
          await writeAsset(job, join(reportDir, name));
          made++;
        } catch (e) {
          failed.set(name, await whyNotMade(job, e));
        }
      }),
    ),
  );
  return { failed, made, reused: unique.size - missing.length };
}

/** Why a job's image could not be made, for the page: no path of this machine (the page is sent around). */
async function whyNotMade(job: AssetJob, e: unknown): Promise<string> {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const why =
    job.kind === 'maps'
      ? `cannot be copied (${typeof code === 'string' ? code : String(e)})`
      : await whyUndecodable(job.from, e, 'show').catch(() => 'cannot be decoded');
  return `the image ${why}`.split(job.from).join(basename(job.from));
}

/** The names of `jobs` (`<kind>/<sha256>.<ext>`) whose image is not made yet: what a page shown now would lack. */
export async function missingAssets(reportDir: string, jobs: readonly AssetJob[]): Promise<Set<string>> {
  const existing = await existingAssets(reportDir);
  return new Set(jobs.map(assetName).filter((name) => !existing.has(name)));
}

async function existingAssets(reportDir: string): Promise<Set<string>> {
  const existing = new Set<string>();
  for (const dir of REPORT_ASSET_DIRS)
    for (const e of await readdir(join(reportDir, dir), { withFileTypes: true }).catch(() => []))
      if (e.isFile()) existing.add(`${dir}/${e.name}`);
  return existing;
}

async function writeAsset(job: AssetJob, target: string): Promise<void> {
  const tmp = join(target, '..', `.${job.sha256}.${uniqueSuffix()}.tmp`);
  try {
    if (job.kind === 'maps') await copyFile(job.from, tmp);
    else {
      const { default: sharp } = await import('sharp');
      const px = job.kind === 'thumbs' ? THUMB_PX : PREVIEW_PX;
      await sharp(job.from, { failOn: 'error' })
        .rotate()
        .resize({ width: px, height: px, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: job.kind === 'thumbs' ? 74 : 88 })
        .toFile(tmp);
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Remove asset files no job of this report names, and the temp files of a crashed report (in
 * the image folders and beside `index.html`) once they are {@link STALE_TEMP_MS} old: another
 * report writing beside this one may have a fresh one open.
 */
export async function pruneAssets(reportDir: string, keep: ReadonlySet<string>, now: number): Promise<number> {
  let removed = 0;
  const staleTemp = async (path: string): Promise<boolean> =>
    now - ((await stat(path).catch(() => null))?.mtimeMs ?? now) > STALE_TEMP_MS;
  for (const dir of ['', ...REPORT_ASSET_DIRS]) {
    const entries = await readdir(join(reportDir, dir), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      const path = join(reportDir, dir, e.name);
      if (isTempName(e.name) ? !(await staleTemp(path)) : dir === '' || keep.has(`${dir}/${e.name}`)) continue;
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
