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
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `${escapeName(displayPath)}: recipe not found`
        : `${escapeName(displayPath)}: cannot read the recipe (${code ?? 'error'})`;
    throw new KontextError('E_RECIPE_NOT_FOUND', message, {
      exitCode: ExitCode.NO_INPUT,
      hint: `looked for ${escapeName(file)}`,
      cause: e,
    });
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
