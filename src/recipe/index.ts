/** The recipe layer's public API: load, validate, and the generated JSON Schema. */
export {
  loadRecipe,
  validateRecipeFile,
  readRecipeText,
  recipeNotFile,
  recipeNotFound,
  recipesNotFiles,
} from './load.js';
export { validateRecipe } from './validate.js';
export type { ValidateOptions, ValidationResult } from './validate.js';
export { findProjectRoot } from './project-root.js';
export { recipeJsonSchema } from './json-schema.js';
export { DEFAULT_MODEL, aspectRatiosFor } from './models.js';
export { loadUserConfig, userConfigName } from './user-config.js';
export type { UserConfig } from './user-config.js';
export { promptProblems } from './lint-problems.js';
