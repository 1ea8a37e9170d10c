/**
 * Sources seen mid-write. The watcher reports a file being copied in at its first bytes, and a
 * copy that pauses longer than the debounce (a slow disk, a network share, a browser download)
 * hands a cycle the head of an image: it sniffs as one, so it would be hashed, uploaded and
 * paid for, and paid again once the copy ends. So the sources a cycle newly sees are checked to
 * be whole images first (util/image-probe.ts: PNG's IEND, JPEG's EOI, the RIFF size, ...); the
 * cycle waits for one that is not, and it is looked at again at its next change or after
 * {@link SETTLE_MS}. If it has not changed by then (same size and mtime) it is taken as it is:
 * some cameras write bytes after the image's end, and a plain run uploads such a file too (one
 * with no end at all, really cut short, hosting refuses: src/hosting/image-check.ts).
 */
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { RecipeError } from '../errors.js';
import { sourceFiles } from '../recipe/source-files.js';
import type { Recipe } from '../recipe/types.js';
import { fileReader, probeImage } from '../util/image-probe.js';

/** How long a source that is not a whole image must stay unchanged to be taken as it is. */
export const SETTLE_MS = 2_000;

/**
 * On the first cycle, how recently a source must have been written to be checked for a copy
 * still going: one older than this, if cut short, would be taken as it is after {@link SETTLE_MS}
 * anyway; the margin covers a file system whose clock differs a little from ours.
 */
const RECENT_MS = 10_000;

/**
 * Whether a source was written at or after `since` by its stamp in `seen` (survey-roots.ts's
 * fileStamp: `size:mtimeMs:ctimeMs:ino`). A source the load did not stamp (a watcher covers it)
 * counts as recent: checking it costs one read of its ends.
 */
function writtenSince(seen: ReadonlyMap<string, string>, since: number): (path: string) => boolean {
  return (path) => {
    const stamp = seen.get(path);
    if (stamp === undefined) return true;
    const mtime = Number(stamp.split(':')[1]);
    return stamp === '' || !Number.isFinite(mtime) || mtime >= since;
  };
}

export interface PartialCheck {
  /** Still being written, with why each looks cut short: the cycle waits for them. */
  readonly waiting: readonly { readonly path: string; readonly detail: string }[];
  /** Not whole images, but unchanged since the cycle waited for them: used as they are. */
  readonly asIs: readonly string[];
}

/** What a cycle's check looks at (see {@link PartialSources.checkCycle}). */
interface CycleSources {
  readonly previous: readonly string[] | null;
  readonly sources: readonly string[];
  readonly changed: readonly string[];
  readonly seen: ReadonlyMap<string, string>;
}

/** The same, as the watch session has it: the last good recipe (`null` on the first cycle) and this one. */
interface CycleRecipes {
  readonly previous: Recipe | null;
  readonly recipe: Recipe;
  readonly changed: readonly string[];
  readonly seen: ReadonlyMap<string, string>;
}

export class PartialSources {
  /** Each source waited for, with its size and mtime when it was. */
  readonly #waiting = new Map<string, string>();
  /** Sources already said to be waited for: said once until whole, taken as they are, or gone. */
  readonly #told = new Set<string>();

  /**
   * A cycle's check: the sources it sees anew among `sources` (the recipe's local files now) are
   * those `changed`, those `previous` (the last good recipe's; `null` on the first cycle) did not
   * have, and on the first cycle those written in the last {@link RECENT_MS} by their stamps in
   * `seen` (a copy still going as the watch starts).
   */
  checkCycle(p: CycleSources): Promise<PartialCheck> {
    const before = new Set(p.previous ?? []);
    const touched = new Set(p.changed);
    const recent = p.previous === null ? writtenSince(p.seen, Date.now() - RECENT_MS) : () => false;
    const fresh = p.sources.filter((s) => touched.has(s) || recent(s) || (p.previous !== null && !before.has(s)));
    return this.#check(fresh, new Set(p.sources));
  }

  /**
   * {@link checkCycle} as the watch session says it: a warning for each source waited for and each
   * taken as it is (paths relative to `cwd`), and the paths waited for (the cycle starts nothing).
   */
  async verdict(p: CycleRecipes, cwd: string): Promise<{ warnings: string[]; waiting: string[] }> {
    const previous = p.previous === null ? null : sourceFiles(p.previous.sources);
    const check = { previous, sources: sourceFiles(p.recipe.sources), changed: p.changed, seen: p.seen };
    return this.#said(await this.checkCycle(check), cwd);
  }

  /**
   * A recipe that did not load (`e`) because sources were no images: those of `changed` that hold fewer
   * bytes than any image's head (an editor truncates a file before it writes it) are waited for as
   * {@link verdict} waits for a copy still going, and taken as they are (then refused) once
   * unchanged for {@link SETTLE_MS} (walk-aa 3).
   */
  async tooShort(
    e: unknown,
    changed: readonly string[],
    cwd: string,
  ): Promise<{ warnings: string[]; waiting: string[] }> {
    if (!(e instanceof RecipeError && e.problems.some((p) => p.code === 'source-not-image')))
      return { warnings: [], waiting: [] };
    const short: string[] = [];
    for (const path of changed)
      if (((await stat(path).catch(() => null))?.size ?? NO_HEAD_YET) < NO_HEAD_YET) short.push(path);
    return this.#said(await this.#check(short, null), cwd);
  }

  #said({ waiting, asIs }: PartialCheck, cwd: string): { warnings: string[]; waiting: string[] } {
    const shown = (path: string): string => relative(cwd, path);
    // A slow export changes its file at every chunk: one warning while it is waited for, not one a chunk.
    const untold = waiting.filter(({ path }) => !this.#told.has(path));
    for (const path of this.#told) if (!this.#waiting.has(path)) this.#told.delete(path);
    for (const { path } of waiting) this.#told.add(path);
    const warnings = [
      ...asIs.map(
        (path) => `${shown(path)} is still not a whole image and unchanged for ${SETTLE_MS} ms: using it as it is`,
      ),
      ...untold.map(
        ({ path, detail }) => `${shown(path)} is not a whole image yet (${detail}): waiting for it to be written`,
      ),
    ];
    return { warnings, waiting: waiting.map((w) => w.path) };
  }

  /**
   * Check `fresh` (what the cycle sees anew) and the sources still waited for, among `sources`
   * (the recipe's local files now; one it no longer names is forgotten; `null`: a recipe that did
   * not load, which forgets none).
   */
  async #check(fresh: readonly string[], sources: ReadonlySet<string> | null): Promise<PartialCheck> {
    if (sources !== null) for (const path of this.#waiting.keys()) if (!sources.has(path)) this.#waiting.delete(path);
    const waiting: { path: string; detail: string }[] = [];
    const asIs: string[] = [];
    for (const path of new Set([...fresh, ...this.#waiting.keys()])) {
      const detail = await cutShort(path);
      const info = detail === null ? null : await stat(path).catch(() => null);
      const before = this.#waiting.get(path);
      this.#waiting.delete(path);
      if (detail === null || info === null) continue;
      const stamp = `${info.size}:${info.mtimeMs}`;
      if (before === stamp) {
        asIs.push(path);
        continue;
      }
      this.#waiting.set(path, stamp);
      waiting.push({ path, detail });
    }
    return { waiting, asIs };
  }
}

/**
 * Fewer bytes than any image's signature: an editor that truncates before it writes (or a copy's
 * first bytes) shows such a file, which says nothing of what it will hold: waited for as one cut
 * short, not refused as no image (walk-aa 3).
 */
const NO_HEAD_YET = 16;

/** Why `path` looks like an image cut short; `null` when it is whole, or not for this check to judge. */
async function cutShort(path: string): Promise<string | null> {
  const reader = await fileReader(path).catch(() => null);
  if (reader === null) return null; // gone again: the loader says what is missing
  try {
    const probe = await probeImage(reader);
    if (!probe.ok && probe.problem === 'not-image' && reader.size < NO_HEAD_YET)
      return reader.size === 0 ? 'empty so far' : `${reader.size} bytes so far`;
    return probe.ok || probe.problem === 'not-image' ? null : probe.detail;
  } catch {
    return null;
  } finally {
    await reader.close?.();
  }
}
