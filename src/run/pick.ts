/**
 * `writePick`: choose one variant of a pass by writing `pick: <k>` into the recipe
 * (`kontext pick`, and the served report's pick button). The recipe is validated and planned
 * first, so only a variant the plan really has can be picked; the file is rewritten atomically
 * (temp + rename, its mode kept) under a short inter-process mutex on the file it writes (two
 * picks through a symlink and the real name serialize too), and only when its bytes are still
 * the ones that were read (an editor saving meanwhile wins: we refuse, exit 75) and it is not
 * read-only (exit 73).
 * `pick:` is per pass: naming an instance (`bag@product-1#2`) picks variant 2 on every
 * instance, and the result says so. `clearPick` takes the `pick:` out again (`--clear`).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode, KontextError, RecipeError, UsageError } from '../errors.js';
import { buildPlan } from '../plan/index.js';
import { escapeName } from '../util/hidden-chars.js';
import { recipeNotFile, recipeNotFound, validateRecipe } from '../recipe/index.js';
import { clearPickInText, passIndexInText, type PickEdit, setPickInText } from '../recipe/pick.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { withFileMutex } from '../store/file-mutex.js';
import { writeFileAtomic } from '../store/atomic.js';
import { closest } from '../util/did-you-mean.js';
import { readBounded, readBoundedSync } from '../util/read-bounded.js';
import { lockPathOfRecipeFile } from './run-lock.js';
import { pickTarget } from './pick-target.js';
import { MAX_RECIPE_BYTES } from '../recipe/load.js';

const BOM = '\uFEFF';

export interface WritePickOptions {
  readonly rt: Runtime;
  /**
   * sha256 (hex) of the recipe bytes the caller showed the user: refuse (exit 75) when the
   * file no longer has them (a report page older than the recipe).
   */
  readonly expectSha256?: string | undefined;
  /** Told once when another pick of the same file holds its mutex, before waiting for it. */
  readonly onWait?: ((pid: number | undefined) => void) | undefined;
}

/** What {@link writePick} did. */
export interface PickResult {
  /** Absolute path of the recipe written (symlinks followed). */
  readonly file: string;
  readonly pass: string;
  readonly variant: number;
  /** The pass's `pick:` before, or null. */
  readonly previous: number | null;
  /** False when the pass already had this pick (the file was not touched). */
  readonly changed: boolean;
  /** The instance the node id named, or null: the pick applies to every instance all the same. */
  readonly instance: string | null;
  /** sha256 (hex) of the recipe bytes now on disk. */
  readonly sha256: string;
  /** How the text was edited: in place, or printed again by the yaml library (may re-indent). */
  readonly method: 'surgical' | 'reprinted' | 'unchanged';
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** Write `pick: <k>` for the variant `nodeId` names (`bag#2`, `bag@product-1#2`) into the recipe at `recipePath`. */
export async function writePick(recipePath: string, nodeId: string, options: WritePickOptions): Promise<PickResult> {
  return rewriteRecipe(recipePath, options, async (text, validate) => {
    const recipe = await validate(text);
    const target = pickTarget(buildPlan(recipe), recipe, nodeId);
    const passIndex = recipe.passes.findIndex((p) => p.id === target.pass);
    const base = { pass: target.pass, variant: target.variant, instance: target.instance };
    const previous = recipe.passes[passIndex]?.pick ?? null;
    if (previous === target.variant) return { ...base, previous, edit: null };
    return { ...base, previous, edit: () => setPickInText(text, passIndex, target.variant) };
  });
}

/**
 * Take `pick:` out of the pass `nodeId` names (`bag`, or any node id of it: `kontext pick
 * --clear`), so the passes after it take every variant again (each one paid once, ever).
 * `variant` in the result is null; `changed` false when the pass had no pick. A recipe that
 * does not validate is cleared too when taking the pick out is what makes it valid (`variants:`
 * lowered below the pick); any other problem refuses as validation does.
 */
export async function clearPick(recipePath: string, nodeId: string, options: WritePickOptions): Promise<ClearResult> {
  return rewriteRecipe(recipePath, options, async (text, validate) => {
    const passId = /^[^@#]*/.exec(nodeId)?.[0] ?? '';
    let recipe: Recipe;
    try {
      recipe = await validate(text);
    } catch (e) {
      if (e instanceof RecipeError) return clearingFixes(text, passId, validate, e);
      throw e;
    }
    const passIndex = recipe.passes.findIndex((p) => p.id === passId);
    const pass = recipe.passes[passIndex];
    if (pass === undefined) {
      const near = closest(
        passId,
        recipe.passes.map((p) => p.id),
      );
      throw new UsageError(`pick --clear: "${escapeName(nodeId)}": no such pass`, {
        hint: near === undefined ? 'name the pass whose pick: to remove' : `did you mean "${near}"?`,
      });
    }
    const base = { pass: pass.id, variant: null, instance: null };
    const previous = pass.pick ?? null;
    if (previous === null) return { ...base, previous, edit: null };
    return { ...base, previous, edit: () => clearPickInText(text, passIndex) };
  });
}

/**
 * The removal of `pick:` from pass `passId` of a recipe that failed validation with `invalid`,
 * when the recipe without it validates; `invalid` itself otherwise (other problems, no such
 * pass, no pick to take out).
 */
async function clearingFixes(
  text: string,
  passId: string,
  validate: (text: string) => Promise<Recipe>,
  invalid: RecipeError,
): Promise<Planned<null>> {
  const passIndex = passIndexInText(text, passId);
  if (passIndex === undefined) throw invalid;
  const edit = clearPickInText(text, passIndex);
  if (edit.text === text) throw invalid;
  await validate(edit.text).catch(() => {
    throw invalid;
  });
  return { pass: passId, variant: null, instance: null, previous: edit.previous ?? null, edit: () => edit };
}

/** What {@link clearPick} did: a {@link PickResult} without a variant. */
export type ClearResult = Omit<PickResult, 'variant'> & { readonly variant: null };

interface Planned<V> {
  readonly pass: string;
  readonly variant: V;
  readonly instance: string | null;
  readonly previous: number | null;
  /** The new text; null: nothing to change. */
  readonly edit: (() => PickEdit) | null;
}

/**
 * Validate the recipe, plan the edit, and write it atomically under the file's pick mutex, only
 * while the file still has the bytes read (and, with `expectSha256`, the caller's).
 */
async function rewriteRecipe<V>(
  recipePath: string,
  options: WritePickOptions,
  plan: (text: string, validate: (text: string) => Promise<Recipe>) => Promise<Planned<V>>,
): Promise<Omit<PickResult, 'variant'> & { readonly variant: V }> {
  const { rt } = options;
  // Validated where it is named (as a run loads it: a symlinked recipe's paths resolve beside
  // the link), written where it really is (the rename replaces the file, not the link).
  const named = resolve(rt.cwd, recipePath);
  const file = await realRecipePath(recipePath, rt.cwd);
  // Keyed by the file written, not the name given: a pick through a link and one through the
  // real name would otherwise both pass the check below and the later rename drop the other's pick.
  return withFileMutex(
    `${lockPathOfRecipeFile(file, rt.cwd)}.pick`,
    async () => {
      const before = await readRecipe(file, recipePath);
      if (options.expectSha256 !== undefined && options.expectSha256 !== before.sha256) throw changedOnDisk(recipePath);
      const validate = (text: string) => validated(text, recipePath, named, rt);
      const { edit: make, ...planned } = await plan(before.text, validate);
      const base = { file, ...planned };
      if (make === null) return { ...base, changed: false, sha256: before.sha256, method: 'unchanged' as const };
      await writable(file, before.mode, recipePath);
      const edit = make();
      const bytes = Buffer.from(before.bom + edit.text, 'utf8');
      const now = await readRecipe(file, recipePath);
      if (now.sha256 !== before.sha256) throw changedOnDisk(recipePath);
      rt.crashPoint?.('pick-checked');
      // Looked at again once the new text is on disk, right before the rename, in one synchronous
      // step: an editor's save during the temp's write and fsync is not dropped by it (walk-p).
      const beforeRename = (): void => {
        let now: string | null = null;
        try {
          now = sha256(readBoundedSync(file, MAX_RECIPE_BYTES).bytes);
        } catch {
          // Gone or unreadable this instant (an editor saving by delete and create): changed too.
        }
        if (now !== before.sha256) throw changedOnDisk(recipePath);
      };
      await writeFileAtomic(file, bytes, { mode: before.mode, durable: true, beforeRename });
      return { ...base, changed: true, sha256: sha256(bytes), method: edit.method };
    },
    {
      pid: rt.pid,
      isAlive: rt.isAlive,
      onWait: (holder) => options.onWait?.(holder.pid),
      heldBy: 'another kontext pick (or a served page) is rewriting this recipe',
    },
  );
}

/** Where the recipe really is; a missing one, a folder or a FIFO is exit 66, as for every other command. */
async function realRecipePath(recipePath: string, cwd: string): Promise<string> {
  let file: string;
  try {
    file = await realpath(resolve(cwd, recipePath));
  } catch (e) {
    throw recipeNotFound(recipePath, resolve(cwd, recipePath), e);
  }
  if (!(await stat(file)).isFile()) throw recipeNotFile(recipePath);
  return file;
}

interface RecipeBytes {
  readonly text: string;
  readonly bom: string;
  readonly sha256: string;
  readonly mode: number;
}

async function readRecipe(file: string, displayPath: string): Promise<RecipeBytes> {
  const bytes = await readBounded(file, MAX_RECIPE_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    throw new KontextError('E_PICK_WRITE', `${escapeName(displayPath)}: not valid UTF-8; refusing to rewrite it`, {
      exitCode: ExitCode.DATA_ERR,
      cause: e,
    });
  }
  const bom = text.startsWith(BOM) ? BOM : '';
  const mode = (await stat(file)).mode & 0o7777;
  return { text: text.slice(bom.length), bom, sha256: sha256(bytes), mode };
}

async function validated(text: string, displayPath: string, file: string, rt: Runtime): Promise<Recipe> {
  const result = await validateRecipe(text, { displayPath, file, rt });
  if (result.recipe === null) throw new RecipeError(result.problems);
  return result.recipe;
}

/**
 * The recipe may be rewritten: it has a write bit and this process may write it. The rename
 * that replaces it would succeed on a read-only file (it needs only the folder), and as root
 * `access` always allows: the mode bits are what the user set.
 */
async function writable(file: string, mode: number, displayPath: string): Promise<void> {
  const allowed =
    (mode & 0o222) !== 0 &&
    (await access(file, constants.W_OK).then(
      () => true,
      () => false,
    ));
  if (!allowed)
    throw new KontextError('E_PICK_WRITE', `${escapeName(displayPath)} is read-only; nothing written`, {
      exitCode: ExitCode.CANT_CREAT,
      hint: 'make it writable (chmod u+w), then pick again; or add pick: by hand',
    });
}

function changedOnDisk(displayPath: string): KontextError {
  return new KontextError(
    'E_RECIPE_CHANGED',
    `${escapeName(displayPath)} changed on disk since it was read; nothing written`,
    {
      exitCode: ExitCode.TEMP_FAIL,
      hint: 'look at the recipe again, then pick again',
    },
  );
}
