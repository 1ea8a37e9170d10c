/**
 * The programmatic API: exactly what the CLI itself uses. Explicit exports only.
 * Heavy parts (the emulator and its image library) load lazily on first use.
 */
export {
  ExitCode,
  KontextError,
  RecipeError,
  UsageError,
  InterruptedError,
  formatProblem,
  worstExitCode,
  isKontextError,
} from './errors.js';
export type { Problem, SourceLocation, KontextErrorOptions } from './errors.js';
export { createRuntime, seededRandom } from './runtime.js';
export type { Runtime, TextSink } from './runtime.js';

export { loadRecipe, validateRecipe, validateRecipeFile, findProjectRoot, recipeJsonSchema } from './recipe/index.js';
export type { ValidateOptions, ValidationResult } from './recipe/index.js';
export type { Recipe, Pass, Source, SourceInstance, HostingConfig, ProviderName } from './recipe/types.js';

export { buildPlan, planToJson, renderPlanMermaid, renderPlanText } from './plan/index.js';
export type { Plan, PlanNode, NodeInput } from './plan/types.js';

export { runRecipe, cacheDirFor, lockPathFor } from './run/run-recipe.js';
export type { RunRecipeOptions, RunRecipeDeps, RunRecipeResult } from './run/run-recipe.js';
export type { RunSummary } from './run/scheduler.js';
export type { DryRunReport, DryRunRow } from './run/dry-run.js';
export { recipeStatus } from './run/status.js';
export type { RecipeStatus, NodeStatus, NodeStatusState, OrphanStatus, StatusOptions } from './run/status.js';
export { RunEvent } from './run/events.js';
export type { Reporter, RunReason } from './run/events.js';

export { openProviderSession } from './providers/session.js';
export type { ProviderSession } from './providers/session.js';
export type { Provider, EditRequest, ModelInfo } from './providers/types.js';

export type { EmulatorOptions, EmulatorHandle } from './emulator/index.js';
import type { EmulatorOptions, EmulatorHandle } from './emulator/index.js';

/** Start the RunComfy-compatible emulator (loaded on first use). */
export async function startEmulator(options?: EmulatorOptions): Promise<EmulatorHandle> {
  const emulator = await import('./emulator/index.js');
  return emulator.startEmulator(options);
}
