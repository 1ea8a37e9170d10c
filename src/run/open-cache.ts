/**
 * The store a recipe run uses, and the one-time move of an old per-project `.kontext/` cache
 * into it (so upgrading costs no request).
 */
import { join } from 'node:path';
import type { Recipe } from '../recipe/types.js';
import { migrateOldStore } from '../store/migrate.js';
import type { Store } from '../store/types.js';

/** Merge `<projectRoot>/.kontext/` into `store` when it is an old cache; the notice to show, or null. */
export async function migrateProjectCache(recipe: Pick<Recipe, 'projectRoot'>, store: Store): Promise<string | null> {
  const old = join(recipe.projectRoot, '.kontext');
  const moved = await migrateOldStore(old, store.root);
  if (moved === null) return null;
  return (
    `moved the old project cache ${old} into ${store.root} (${moved.blobs} images, ${moved.records} results, ` +
    `${moved.journal} pending requests); the cache is now shared by all your projects`
  );
}
