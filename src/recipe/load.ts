/**
 * Reading a recipe file: the path is kept as typed for messages (escaped as a name: `\x0a`), the
 * bytes are decoded as UTF-8 (invalid sequences become U+FFFD, which validation reports with a
 * position).
 */
import { stat } from 'node:fs/promises';
import { ExitCode, KontextError, RecipeError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { Recipe } from './types.js';
import { validateRecipe, type ValidationResult } from './validate.js';
import { readBounded } from '../util/read-bounded.js';
import { escapeName } from '../util/hidden-chars.js';
import { fileAsOpened } from '../util/real-path.js';

/** Bigger than any hand-written recipe: refuse before reading a huge (binary) file into memory. */
/** The largest recipe file read (1 MiB): recipes are small; the watch page and `kontext pick` read it as well. */
export const MAX_RECIPE_BYTES = 1024 * 1024;

export interface LoadOptions {
  readonly rt: Runtime;
  readonly strict?: boolean;
  readonly allowOutsideRoot?: boolean;
  /** Folders outside the project sources may live in; default: the user config's `allowed_source_roots`. */
  readonly allowedSourceRoots?: readonly string[];
  /** See `ValidateOptions.saveInSources`. */
  readonly saveInSources?: 'error' | 'warning';
}

/** A recipe path naming a folder, a FIFO or a device: exit 66, as a missing input is (`kontext pick` too). */
export function recipeNotFile(displayPath: string): KontextError {
  return new KontextError('E_RECIPE_NOT_FILE', `${escapeName(displayPath)}: not a file`, {
    exitCode: ExitCode.NO_INPUT,
    hint: 'pass the path of a .yml recipe',
  });
}

/**
 * A recipe path that names nothing (ENOENT, ENOTDIR), or that cannot be read (its code): exit 66.
 * One starting with `-` is most likely an option given after `--` (`run a.yml -- --shard 1/3`):
 * the hint says so (walk-ai 3).
 */
export function recipeNotFound(displayPath: string, file: string, cause: unknown): KontextError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const message =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? `${escapeName(displayPath)}: recipe not found`
      : `${escapeName(displayPath)}: cannot read the recipe (${code ?? 'error'})`;
  const option = displayPath.startsWith('-')
    ? '; it looks like an option given after `--` or in the wrong place: options go before `--`'
    : '';
  return new KontextError('E_RECIPE_NOT_FOUND', message, {
    exitCode: ExitCode.NO_INPUT,
    hint: `looked for ${escapeName(file)}${option}`,
    cause,
  });
}

/**
 * The recipe paths of one command that name no file (missing, a folder, a FIFO), each with its
 * error, in the order given, once each: a command of several recipes says them all before any
 * recipe runs, so none is paid for first. A path this user may not look at is left to the
 * recipe's own read (its error is that recipe's).
 */
export async function recipesNotFiles(
  displayPaths: readonly string[],
  rt: Pick<Runtime, 'cwd'>,
): Promise<{ readonly path: string; readonly error: KontextError }[]> {
  const out: { readonly path: string; readonly error: KontextError }[] = [];
  for (const path of new Set(displayPaths)) {
    const file = fileAsOpened(rt.cwd, path);
    const info = await stat(file).catch((e: unknown) => e as NodeJS.ErrnoException);
    if (info instanceof Error) {
      if (info.code === 'ENOENT' || info.code === 'ENOTDIR')
        out.push({ path, error: recipeNotFound(path, file, info) });
    } else if (!info.isFile()) out.push({ path, error: recipeNotFile(path) });
  }
  return out;
}

/** Read a recipe file's text; a missing or unreadable file is exit 66. */
export async function readRecipeText(displayPath: string, rt: Runtime): Promise<{ file: string; text: string }> {
  const file = fileAsOpened(rt.cwd, displayPath);
  try {
    const info = await stat(file);
    if (!info.isFile()) throw recipeNotFile(displayPath);
    if (info.size > MAX_RECIPE_BYTES) {
      throw new KontextError(
        'E_RECIPE_TOO_LARGE',
        `${escapeName(displayPath)}: ${info.size} bytes is too large for a recipe`,
        {
          exitCode: ExitCode.DATA_ERR,
          hint: `recipes are small YAML files (at most ${MAX_RECIPE_BYTES} bytes)`,
        },
      );
    }
    // Bounded and regular-files-only on the opened descriptor: the stat above may be stale.
    return { file, text: new TextDecoder('utf-8').decode(await readBounded(file, MAX_RECIPE_BYTES)) };
  } catch (e) {
    if (e instanceof KontextError) throw e;
    throw recipeNotFound(displayPath, file, e);
  }
}

/** Read and validate a recipe file; throws only when the file itself cannot be read. */
export async function validateRecipeFile(displayPath: string, options: LoadOptions): Promise<ValidationResult> {
  const { file, text } = await readRecipeText(displayPath, options.rt);
  return validateRecipe(text, { displayPath, file, ...options });
}

/**
 * Load a recipe for planning and running. Throws `RecipeError` with every problem (exit 65,
 * or 66 when a source is missing), or `KontextError` exit 66 when the recipe file is missing.
 */
export async function loadRecipe(displayPath: string, options: LoadOptions): Promise<Recipe> {
  const result = await validateRecipeFile(displayPath, options);
  if (result.recipe === null) throw new RecipeError(result.problems);
  return result.recipe;
}
