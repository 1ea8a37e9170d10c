/**
 * Shared set-up for runner tests: a throwaway project (real temp dir with `.git`, the example
 * images, a recipe), a standalone emulator whose request log the test reads, a provider
 * session with fast poll/retry policies pointed at it, a buffer-sink Runtime, and helpers
 * to run a recipe in-process and to count submits.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRuntime,
  runRecipe,
  seededRandom,
  startEmulator,
  type EmulatorHandle,
  type ProviderSession,
  type RunEvent,
} from '../../src/index.js';
import type { RunRecipeOptions, RunRecipeResult, Runtime, TextSink } from '../../src/index.js';
import type { RequestLogEntry, ScenarioInput } from '../../src/emulator/index.js';
import { createRunComfyProvider } from '../../src/providers/runcomfy/client.js';
import type { RemoteBounds } from '../../src/remote/bucket.js';
import type { LockFile } from '../../src/store/types.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXAMPLES = join(REPO_ROOT, 'recipes', 'examples');
export const ASSETS = join(EXAMPLES, 'assets');

/** A text sink that keeps everything written to it. */
export function bufferSink(): TextSink & { text(): string } {
  const parts: string[] = [];
  return { write: (s: string) => parts.push(s), text: () => parts.join(''), isTTY: false };
}

export function testRuntime(
  cwd: string,
  env: Record<string, string> = {},
  seed = 1,
): Runtime & { stdout: ReturnType<typeof bufferSink>; stderr: ReturnType<typeof bufferSink> } {
  const stdout = bufferSink();
  const stderr = bufferSink();
  const rt = createRuntime({
    cwd,
    env: { HOME: cwd, XDG_CACHE_HOME: join(cwd, '.cache'), ...env },
    random: seededRandom(seed),
    randomSeed: seedDraw(seed),
    stdout,
    stderr,
  });
  return { ...rt, stdout, stderr };
}

/** Deterministic seeds in 0..2^32-1. */
function seedDraw(seed: number): () => number {
  const r = seededRandom(seed * 7919 + 13);
  return () => Math.floor(r() * 2 ** 32);
}

export interface Project {
  readonly root: string;
  readonly recipe: string;
  readonly lockPath: string;
  readonly cacheDir: string;
  /** `out/<name>` beside the recipe. */
  readonly outDir: string;
  writeRecipe(yaml: string): Promise<void>;
  /** The lock as parsed JSON (throws when it is not valid JSON). */
  readLock(): Promise<LockFile>;
  /** Every file under out/, relative, hidden temp files included. */
  outFiles(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** A project folder with `.git`, the example images in `assets/`, and `recipe.yml`. */
export async function createProject(yaml: string, name = 'test'): Promise<Project> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-run-'));
  await mkdir(join(root, '.git'));
  await mkdir(join(root, 'assets'));
  for (const f of await readdir(ASSETS))
    if (f.endsWith('.jpg')) await copyFile(join(ASSETS, f), join(root, 'assets', f));
  const recipe = join(root, 'recipe.yml');
  await writeFile(recipe, yaml);
  const lockPath = join(root, 'recipe.lock.json');
  return {
    root,
    recipe,
    lockPath,
    cacheDir: join(root, '.cache', 'kontext'),
    outDir: join(root, 'out', name),
    writeRecipe: (text) => writeFile(recipe, text),
    readLock: async () => JSON.parse(await readFile(lockPath, 'utf8')) as LockFile,
    outFiles: async () =>
      (await readdir(join(root, 'out'), { recursive: true, withFileTypes: true }))
        .filter((d) => d.isFile())
        .map((d) => join(d.parentPath, d.name).slice(root.length + 1))
        .sort(),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A chain recipe: `passes` as [id, prompt, extra yaml lines...]; `from` defaults to the previous pass. */
export function recipeYaml(
  passes: readonly (readonly [string, string, ...string[]])[],
  head: readonly string[] = [],
): string {
  const lines = [
    'version: 1',
    'name: test',
    'provider: emulator',
    ...head,
    'sources:',
    '  photo: assets/portrait-astronaut.jpg',
    'passes:',
  ];
  for (const [id, prompt, ...extra] of passes) {
    lines.push(`  - id: ${id}`, `    prompt: ${JSON.stringify(prompt)}`, ...extra.map((l) => `    ${l}`));
  }
  return `${lines.join('\n')}\n`;
}

export interface Rig {
  readonly emulator: EmulatorHandle;
  readonly session: ProviderSession;
  /** Accepted-or-not submit calls made by clients (POST /v1/models/...). */
  submits(): RequestLogEntry[];
  /** Client calls (emulator-internal input fetches left out). */
  calls(): RequestLogEntry[];
  close(): Promise<void>;
}

/** A standalone emulator and a session on it with fast poll and retry policies. */
export async function startRig(
  options: {
    queueMs?: number;
    runMs?: number;
    scenario?: ScenarioInput;
    priceUsd?: number;
    /** The client's sleep (a test's stand-in for long waits). */
    sleep?: Runtime['sleep'];
    /** The client's wall clock (one that is stepped); the real one when not given. */
    now?: Runtime['now'];
    /** The client's per-request deadline (default 30 min). */
    deadlineMs?: number;
    /**
     * The provider the rig stands in for, its session's name: a run uses a session only for the nodes
     * on that provider. `emulator` (the default): recipes with `provider: emulator`; `runcomfy`: the
     * RunComfy API at this emulator (as `RUNCOMFY_MODEL_API_BASE` points a real run at it).
     */
    provider?: 'emulator' | 'runcomfy';
  } = {},
): Promise<Rig> {
  const emulator = await startEmulator({
    queueMs: options.queueMs ?? 10,
    runMs: options.runMs ?? 20,
    ...(options.scenario ? { scenario: options.scenario } : {}),
    ...(options.priceUsd === undefined ? {} : { priceUsd: options.priceUsd }),
  });
  const rt = createRuntime({
    env: {},
    random: seededRandom(99),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const name = options.provider ?? 'emulator';
  const provider = createRunComfyProvider({
    providerName: name,
    baseUrl: emulator.baseUrl,
    token: 'test-token',
    rt,
    allowHosts: ['127.0.0.1'],
    poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 50 },
    retry: { maxAttempts: 8, baseMs: 5, capMs: 40, maxRetryAfterMs: 500 },
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
  });
  const session: ProviderSession = {
    name,
    provider,
    warnings: [],
    close: () => provider.close(),
  };
  const calls = (): RequestLogEntry[] => emulator.requestLog().filter((e) => !e.internal);
  return {
    emulator,
    session,
    calls,
    submits: () => calls().filter(isSubmit),
    close: async () => {
      await provider.close();
      await emulator.close();
    },
  };
}

export function isSubmit(e: RequestLogEntry): boolean {
  return e.method === 'POST' && e.path.startsWith('/v1/models/') && !e.internal;
}

/** Accepted submits (HTTP 200) counted by prompt. */
export function acceptedByPrompt(log: readonly RequestLogEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of log) {
    if (!isSubmit(e) || e.status !== 200) continue;
    const prompt = String(e.body?.['prompt'] ?? '');
    out.set(prompt, (out.get(prompt) ?? 0) + 1);
  }
  return out;
}

/** Accepted submits (HTTP 200) counted by (prompt, input, seed): the cache key as the API saw it. */
export function acceptedByBody(log: readonly RequestLogEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of log) {
    if (!isSubmit(e) || e.status !== 200) continue;
    const b = e.body ?? {};
    const k = JSON.stringify([b['prompt'], b['image_url'], b['seed']]);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

export interface InProcessRun {
  readonly result: RunRecipeResult;
  readonly events: RunEvent[];
  readonly rt: ReturnType<typeof testRuntime>;
}

/** `runRecipe` in-process with a buffer-sink runtime, collecting events. */
export async function runIn(
  project: Project,
  options: Partial<RunRecipeOptions> = {},
  extra: {
    rig?: Rig | null;
    env?: Record<string, string>;
    pid?: number;
    seed?: number;
    isAlive?: (pid: number) => boolean;
    /** The remote cache's time bounds, shorter than the product's (a test that checks one fires). */
    remoteBounds?: RemoteBounds;
    /** Each event as it happens (they are all in the result's `events` too). */
    onEvent?: (e: RunEvent) => void;
    /** The run's wall clock (a machine whose clock is off); the real one when not given. */
    now?: () => number;
  } = {},
): Promise<InProcessRun> {
  const made = testRuntime(project.root, extra.env, extra.seed);
  const rt = extra.now === undefined ? made : { ...made, now: extra.now };
  const events: RunEvent[] = [];
  // Overlapping runs in one process stand for separate processes: their own (made-up) pids, all
  // alive. Without a made-up pid, liveness is real (a killed CLI child's locks go stale).
  const isAlive = extra.isAlive ?? (extra.pid === undefined ? pidAlive : () => true);
  const asProcess = { ...rt, pid: extra.pid ?? process.pid, isAlive };
  const result = await runRecipe(
    project.recipe,
    { jobs: 4, ...options },
    {
      rt: asProcess,
      onEvent: (e) => {
        events.push(e);
        extra.onEvent?.(e);
      },
      session: extra.rig?.session,
      remoteBounds: extra.remoteBounds,
    },
  );
  return { result, events, rt };
}

/** Whether a process exists (the CLI's own check, for in-process runs). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The run summary, failing the test when the result was a dry run. */
export function summaryOf(run: InProcessRun): Extract<RunRecipeResult, { kind: 'run' }>['summary'] {
  if (run.result.kind !== 'run') throw new Error('expected a real run');
  return run.result.summary;
}

export function eventsOf<T extends RunEvent['type']>(
  events: readonly RunEvent[],
  type: T,
): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Every lock entry's output file exists and hashes to the recorded sha256. */
export async function lockMatchesFiles(project: Project): Promise<{ node: string; ok: boolean }[]> {
  const lock = await project.readLock();
  return Promise.all(
    Object.entries(lock.nodes).map(async ([node, e]) => ({
      node,
      ok: (await sha256File(join(project.root, e.output)).catch(() => '')) === e.output_sha256,
    })),
  );
}

/** Poll `check` until it returns true (or throw after `ms`, with `detail()` in the message). */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = 'condition',
  detail: () => string = () => '',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${detail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A run stopped (its signal aborted) once `n` distinct requests were polled, each journaled before
 * its first poll: held in the emulator's queue until the run has stopped, and with `not-cancellable`,
 * they stay journaled (paid, unlocked). Returns the stopped run's exit code (130).
 */
export async function runStoppedOncePolled(rig: Rig, project: Project, n: number): Promise<number> {
  const stop = new AbortController();
  const release = rig.emulator.hold('queued');
  try {
    const first = runIn(project, { signal: stop.signal }, { rig });
    const polled = (): number =>
      new Set(
        rig
          .calls()
          .filter((c) => c.path.endsWith('/status'))
          .map((c) => c.path),
      ).size;
    await until(() => polled() >= n, 20_000, `${n} requests polled`);
    stop.abort();
    return summaryOf(await first).exitCode;
  } finally {
    release();
  }
}
