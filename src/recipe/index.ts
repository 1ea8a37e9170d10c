/** The recipe layer's public API: load, validate, and the generated JSON Schema. */
export { loadRecipe, validateRecipeFile, readRecipeText, MAX_RECIPE_BYTES } from './load.js';
export type { LoadOptions } from './load.js';
export { validateRecipe } from './validate.js';
export type { ValidateOptions, ValidationResult } from './validate.js';
export { findProjectRoot } from './project-root.js';
export { recipeJsonSchema, recipeJsonSchemaText, RECIPE_SCHEMA_PATH } from './json-schema.js';
export { RecipeSchema, PassSchema, DefaultsSchema, HostingSchema } from './schema.js';
export type { RecipeDocument, PassDocument } from './schema.js';
export { DEFAULT_MODEL, DEFAULT_ASPECT_RATIOS, aspectRatiosFor } from './models.js';
export { SAVE_PLACEHOLDERS } from './rules/save.js';
export type { Recipe, Pass, PassInput, Source, SourceInstance, HostingConfig, ProviderName } from './types.js';
export { loadUserConfig, userConfigPath, UserConfigSchema } from './user-config.js';
export type { UserConfig } from './user-config.js';
export { watchTargets } from './watch-targets.js';
export type { WatchTargets } from './watch-targets.js';
