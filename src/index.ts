/**
 * The programmatic API: exactly what the CLI itself uses (src/cli imports library code only
 * from here; test/unit/cli-imports.test.ts holds it to that). Explicit exports only.
 * Heavy parts (the emulator and its image library, chokidar) load lazily on first use.
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
export { redactSecrets, redactUrlsIn } from './util/redact.js';
export { proxySummary, type ProxySummary } from './util/proxy-summary.js';
export { proxySecretsIn } from './util/proxy.js';
export { escapeControls } from './util/control-chars.js';
export { percentOver } from './util/percent.js';
export { escapeHidden, escapeName } from './util/hidden-chars.js';
export { cutToWidth, padToWidth, textWidth, widthGraphemes } from './util/text-width.js';
export { READ_CAPS, readBoundedText } from './util/read-bounded.js';

export {
  loadRecipe,
  validateRecipe,
  validateRecipeFile,
  findProjectRoot,
  recipeJsonSchema,
  recipesNotFiles,
} from './recipe/index.js';
export type { ValidateOptions, ValidationResult } from './recipe/index.js';
export type { LoadOptions } from './recipe/load.js';
export { sourceImageProblems } from './hosting/source-headers.js';
export type { Recipe, Pass, Source, SourceInstance, HostingConfig, ProviderName } from './recipe/types.js';

export { buildPlan, planToJson, renderPlanMermaid, renderPlanText } from './plan/index.js';
export type { Plan, PlanNode, NodeInput } from './plan/types.js';

export { runRecipe, lockPathFor } from './run/run-recipe.js';
export { outputClashes } from './run/output-clashes.js';
export { holdRunLock, lockPathOfRecipeFile, type RunLockElsewhere, waitingMessage } from './run/run-lock.js';
export type { RunRecipeOptions, RunRecipeDeps, RunRecipeResult } from './run/run-recipe.js';
export { cacheDirFor, openRunContext, withRunContext, RunContext } from './run/context.js';
export type { RunContextOptions, RunContextDeps, RunTarget, RunScope } from './run/context.js';
export { parseShard, assignShards } from './run/shard.js';
export type { ShardSpec } from './run/shard.js';
export { checkCiFlags, FrozenError } from './run/frozen.js';
export { defaultCostLimit, type CostLimitSource } from './run/cost-limit.js';
export type { FrozenMiss } from './run/frozen.js';
export { runEdit } from './run/edit.js';
export type { EditOptions, EditResult } from './run/edit.js';
export type { RunSummary } from './run/scheduler.js';
export type { PassSelection } from './run/options.js';
export type { Spend } from './run/spend.js';
export type { NodeOutcome } from './run/outcome.js';
export type { LockConflictReport } from './run/lock-resolve.js';
export type { LegacyMove } from './run/legacy-moves.js';
export type { DryRunReport, DryRunRow } from './run/dry-run.js';
export { recipeStatus } from './run/status.js';
export type {
  RecipeStatus,
  NodeStatus,
  NodeStatusState,
  OrphanStatus,
  StatusOptions,
  StatusDeps,
} from './run/status.js';
export { RunEvent, NodePhase, RunReason } from './run/events.js';
export type { Reporter, RunEventOf } from './run/events.js';

export { WatchSession } from './watch/watch-session.js';
export { problemLines } from './errors.js';
export { osLimitOf, type OsLimit } from './util/os-limits.js';
export type { WatchDeps } from './watch/watch-session.js';
export type { CycleResult, CycleHooks } from './watch/cycle-result.js';
export { RecipeWatcher } from './watch/recipe-watcher.js';
export type { RecipeWatcherOptions } from './watch/recipe-watcher.js';

export { EMULATOR_MAX_DELAY_MS, openProviderSession, providerTraits } from './providers/session.js';
export type { ProviderSession, ProviderTraits, SessionOptions } from './providers/session.js';
export { SessionPool } from './providers/session-pool.js';
export { listProviders, type ProviderListing } from './providers/listing.js';
export { PROVIDER_NAMES } from './models/types.js';
export { falKeySecrets, PROVIDER_CREDENTIALS, type ProviderCredentials } from './models/credentials.js';
export type { Provider, EditRequest, ModelInfo } from './providers/types.js';

export type { EmulatorOptions, EmulatorHandle, Scenario, ScenarioInput, RequestLogEntry } from './emulator/index.js';
export { parseScenario, ScenarioError } from './emulator/errors.js';
export { findJsonSyntaxError, lineCol, locatePath, type JsonSyntaxError } from './util/json-locate.js';
import type { EmulatorOptions, EmulatorHandle } from './emulator/index.js';

/** Start the RunComfy-compatible emulator (loaded on first use). */
export async function startEmulator(options?: EmulatorOptions): Promise<EmulatorHandle> {
  const emulator = await import('./emulator/index.js');
  return emulator.startEmulator(options);
}

export { clearPick, writePick } from './run/pick.js';
export type { ClearResult, PickResult, WritePickOptions } from './run/pick.js';

export { writeReport, startReportServer, DEFAULT_REPORT_PORT } from './report/index.js';
export type {
  ReportDeps,
  ReportOptions,
  WrittenReport,
  ReportData,
  ReportServer,
  ReportServerOptions,
} from './report/index.js';

export { cleanRecipe } from './run/clean.js';
export { pushRecipe } from './run/push.js';
export type { PushOptions, PushDeps, PushReport } from './run/push.js';
export type { CleanOptions, CleanDeps, CleanReport } from './run/clean.js';
export { gcCache } from './run/gc.js';
export { findLockFiles } from './run/project-locks.js';
export { mergeLockFiles, type MergeLockResult } from './run/merge-lock.js';
export type { MergeLockFilesOptions } from './run/merge-lock.js';
export type { GcCacheOptions, GcCacheDeps, GcCacheReport } from './run/gc.js';
export type { GcReport, GcTally, GcTemps } from './store/gc.js';
export type { RunReview } from './store/types.js';
export { NodeReviews, type DriftOver } from './run/drift.js';
export { parseDuration, parseSize, formatBytes } from './util/units.js';
