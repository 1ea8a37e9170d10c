/**
 * Watch-mode rig: a throwaway project (temp dir with `.git`), a standalone emulator whose
 * request log the test reads, and a WatchSession + RecipeWatcher in-process (real chokidar on
 * real files) with a buffer-sink Runtime, provider `runcomfy` pointed at the emulator with
 * fast poll/retry policies. Tests wait for conditions (events, log entries), never for time.
 */
import { SessionPool } from '../../../src/providers/session-pool.js';
import { RecipeWatcher } from '../../../src/watch/recipe-watcher.js';
import { WatchSession } from '../../../src/watch/watch-session.js';
import { RunEvent, startEmulator, type EmulatorHandle, type RunRecipeOptions } from '../../../src/index.js';
import type { CliChild } from '../../helpers/cli-spawn.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import {
  acceptedByPrompt,
  createProject,
  eventsOf,
  isSubmit,
  recipeYaml,
  testRuntime,
  until,
  type Project,
} from '../../helpers/run-fixtures.js';

export const HEAD = ['hosting: { mode: inline }'];

/** A chain recipe on the runcomfy provider (pointed at the test's emulator). */
export function watchRecipe(passes: Parameters<typeof recipeYaml>[0], head: readonly string[] = HEAD): string {
  return recipeYaml(passes, head).replace('provider: emulator', 'provider: runcomfy');
}

/** {@link watchRecipe} over one glob source, `shots: <glob>`. */
export function globRecipe(glob: string, passes: Parameters<typeof recipeYaml>[0]): string {
  return watchRecipe(passes).replace('  photo: assets/portrait-astronaut.jpg', `  shots: ${glob}`);
}

/** The cycles since event `from`: what each was told changed, and what it ran. */
export function cyclesSince(r: WatchRig, from: number): { changed: string[]; ran: string[] }[] {
  return r.events
    .slice(from)
    .flatMap((e) => (e.type === 'watch-cycle' ? [{ changed: e.changed, ran: e.to_run.map((t) => t.node) }] : []));
}

export interface WatchRig {
  readonly project: Project;
  readonly emulator: EmulatorHandle;
  readonly events: RunEvent[];
  readonly session: WatchSession;
  readonly watcher: RecipeWatcher;
  /** Errors the watcher reported outside events (none expected). */
  readonly errors: unknown[];
  /** Accepted submits by prompt. */
  submits(): Map<string, number>;
  /** Client calls (the emulator's own input fetches left out). */
  calls(): RequestLogEntry[];
  of<T extends RunEvent['type']>(type: T): Extract<RunEvent, { type: T }>[];
  /** Wait for the `n`-th watch-cycle event (1-based, counting the first); returns its index in `events`. */
  cycleStarted(n: number, ms?: number): Promise<number>;
  /** Wait for the `n`-th watch-cycle event and its run's end. */
  cycleDone(n: number, ms?: number): Promise<Extract<RunEvent, { type: 'watch-cycle' }>>;
  close(): Promise<void>;
}

export interface RigOptions {
  readonly queueMs?: number;
  readonly runMs?: number;
  readonly options?: Partial<RunRecipeOptions>;
  /** The watcher's quiet period (its default, 100 ms, when not given). */
  readonly debounceMs?: number;
  /** Also called with each event as it happens. */
  readonly onEvent?: (e: RunEvent) => void;
  /** Also told of each cycle error (after the rig records it): an embedder's error sink. */
  readonly onCycleError?: (e: unknown) => void;
  /** The watcher's `onOutputEdited` (outputs changed by hand). */
  readonly onOutputEdited?: (paths: readonly string[]) => void;
  /** More environment for the runtime (AWS credentials for S3 hosting). */
  readonly env?: Record<string, string>;
  /** Before the watcher starts (more files, a plain run against the emulator with `env`). */
  readonly setup?: (p: Project, env: Record<string, string>, emulator: EmulatorHandle) => Promise<void>;
}

export async function startWatchRig(yaml: string, o: RigOptions = {}): Promise<WatchRig> {
  const project = await createProject(yaml);
  const emulator = await startEmulator({ queueMs: o.queueMs ?? 10, runMs: o.runMs ?? 20 });
  const env = {
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    ...o.env,
  };
  await o.setup?.(project, env, emulator);
  const rt = testRuntime(project.root, env);
  const sessions = new SessionPool(rt, {
    poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 50 },
    retry: { maxAttempts: 6, baseMs: 5, capMs: 40, maxRetryAfterMs: 500 },
  });
  const interrupt = new AbortController();
  const events: RunEvent[] = [];
  const errors: unknown[] = [];
  const onEvent = (e: RunEvent): void => {
    events.push(e);
    o.onEvent?.(e);
  };
  const session = new WatchSession(
    project.recipe,
    { jobs: 4, signal: interrupt.signal, ...o.options },
    { rt, onEvent, sessions },
  );
  const onCycleError = (e: unknown): void => {
    errors.push(e);
    o.onCycleError?.(e);
  };
  const watcher = new RecipeWatcher(session, {
    debounceMs: o.debounceMs,
    onCycleError,
    ...(o.onOutputEdited && { onOutputEdited: o.onOutputEdited }),
  });
  const calls = (): RequestLogEntry[] => emulator.requestLog().filter((e) => !e.internal);
  const rig: WatchRig = {
    project,
    emulator,
    events,
    session,
    watcher,
    errors,
    calls,
    submits: () => acceptedByPrompt(calls().filter(isSubmit)),
    of: (type) => eventsOf(events, type),
    async cycleStarted(n, ms = 8_000) {
      await until(
        () => eventsOf(events, 'watch-cycle').length >= n,
        ms,
        `watch cycle ${n}`,
        () => JSON.stringify(events.filter((e) => e.type.startsWith('watch'))),
      );
      let seen = 0;
      return events.findIndex((e) => e.type === 'watch-cycle' && ++seen === n);
    },
    async cycleDone(n, ms = 8_000) {
      await rig.cycleStarted(n, ms);
      await session.idle();
      const cycle = eventsOf(events, 'watch-cycle')[n - 1];
      if (!cycle) throw new Error('unreachable');
      return cycle;
    },
    async close() {
      interrupt.abort();
      await watcher.close();
      await session.close();
      await sessions.closeAll();
      await emulator.close();
      await project.cleanup();
    },
  };
  await watcher.start();
  return rig;
}

/** Submit entries in the log whose prompt is `prompt`. */
export function submitsOf(log: readonly RequestLogEntry[], prompt: string): RequestLogEntry[] {
  return log.filter((e) => isSubmit(e) && e.body?.['prompt'] === prompt);
}

/** A `run --watch --json` child's NDJSON events so far, each parsed with the wire schema (a malformed line fails). */
export function cliEvents(c: CliChild): RunEvent[] {
  const lines = c
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'));
  return lines.map((l) => RunEvent.parse(JSON.parse(l)));
}

/** How many of the child's events so far are of `type`. */
export const countEvents = (c: CliChild, type: RunEvent['type']): number =>
  cliEvents(c).filter((e) => e.type === type).length;
