/**
 * A throwaway project for end-to-end runs with `provider: runcomfy` pointed at the emulator:
 * a temp folder with `.git` (the project root), real example images, a recipe, a user config
 * dir of its own, and a Runtime whose env carries the token, the API base and AWS credentials
 * (process.env is never touched). Every run's events, stdout and stderr are kept for the
 * secret checks.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import {
  createRuntime,
  openProviderSession,
  runRecipe,
  startEmulator,
  type EmulatorHandle,
  type HostingConfig,
  type RunEvent,
  type RunRecipeOptions,
  type RunRecipeResult,
  type Runtime,
} from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { main } from '../../../src/cli/main.js';

const ASSETS = fileURLToPath(new URL('../../../recipes/examples/assets/', import.meta.url));

/** A canary token: it must never show up in any output or file. */
export const TEST_TOKEN = 'rc-canary-token-51b0d3e8a7';

export interface RunCapture {
  readonly result: RunRecipeResult;
  readonly events: RunEvent[];
  readonly stdout: string;
  readonly stderr: string;
}

interface RunSettings {
  /** The runtime clock (default: real time). */
  readonly now?: () => number;
  readonly options?: Partial<RunRecipeOptions>;
  /** Open the provider inside runRecipe from the env (slow default polls) instead of a fast shared session. */
  readonly ownSession?: boolean;
  /** Extra or replaced environment variables for this run only. */
  readonly env?: Record<string, string>;
  /** Also called with each event as it happens. */
  readonly onEvent?: (event: RunEvent) => unknown;
  /** S3 hosting's idle timeout, shorter than the product's 60 s. */
  readonly s3IdleTimeoutMs?: number;
}

export interface Project {
  readonly root: string;
  readonly recipePath: string;
  readonly cacheDir: string;
  readonly configDir: string;
  readonly emulator: EmulatorHandle;
  readonly env: Record<string, string>;
  /** Write the recipe (`recipe.yml` at the root). */
  writeRecipe(yaml: string): Promise<void>;
  run(settings?: RunSettings): Promise<RunCapture>;
  /** `kontext <argv...>` in-process (the CLI opens its own session from the env). */
  cli(argv: readonly string[], now?: () => number): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Client submits (not the emulator's own fetches), in order. */
  submits(): RequestLogEntry[];
  /** Every file under the project (relative path → text), `hosted/` records excluded on request. */
  files(options?: { readonly skipHosted?: boolean; readonly skipImages?: boolean }): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export async function createProject(env: Record<string, string> = {}): Promise<Project> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-run-hosting-'));
  await mkdir(join(root, '.git'));
  await mkdir(join(root, 'assets', 'shots'), { recursive: true });
  await copyFile(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'assets', 'portrait.jpg'));
  await copyFile(join(ASSETS, 'product-coffee.jpg'), join(root, 'assets', 'shots', 'coffee.jpg'));
  await copyFile(join(ASSETS, 'pet-chelsea.jpg'), join(root, 'assets', 'shots', 'cat.jpg'));
  const configDir = join(root, 'user-config');
  const emulator = await startEmulator({ queueMs: 5, runMs: 5 });
  const fullEnv: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: root,
    KONTEXT_CONFIG_DIR: configDir,
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: TEST_TOKEN,
    ...env,
  };
  const recipePath = join(root, 'recipe.yml');
  return {
    root,
    recipePath,
    cacheDir: join(root, '.cache', 'kontext'),
    configDir,
    emulator,
    env: fullEnv,
    writeRecipe: (yaml) => writeFile(recipePath, yaml),
    run: (settings = {}) => runOnce(recipePath, { ...fullEnv, ...settings.env }, root, settings),
    async cli(argv, now) {
      const sink = captureRuntime(root, fullEnv, now);
      const code = await main(argv, { rt: sink.rt });
      return { code, stdout: sink.stdout(), stderr: sink.stderr() };
    },
    submits: () =>
      emulator.requestLog().filter((e) => !e.internal && e.method === 'POST' && e.path.startsWith('/v1/models/')),
    files: (options = {}) => readTree(root, options),
    async close() {
      await emulator.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

function captureRuntime(
  cwd: string,
  env: Record<string, string>,
  now: (() => number) | undefined,
): { rt: Runtime; stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  const rt = createRuntime({
    cwd,
    env,
    ...(now ? { now } : {}),
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { rt, stdout: () => out, stderr: () => err };
}

async function runOnce(
  recipePath: string,
  env: Record<string, string>,
  cwd: string,
  settings: RunSettings,
): Promise<RunCapture> {
  const sink = captureRuntime(cwd, env, settings.now);
  const { rt } = sink;
  const events: RunEvent[] = [];
  const session = settings.ownSession
    ? undefined
    : await openProviderSession('runcomfy', rt, { poll: { firstDelayMs: 10, maxDelayMs: 40 } });
  try {
    const result = await runRecipe(
      recipePath,
      { jobs: 4, ...settings.options },
      {
        rt,
        onEvent: (e) => {
          events.push(e);
          settings.onEvent?.(e);
        },
        session,
        s3IdleTimeoutMs: settings.s3IdleTimeoutMs,
      },
    );
    return { result, events, stdout: sink.stdout(), stderr: sink.stderr() };
  } finally {
    await session?.close();
  }
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

async function readTree(
  root: string,
  options: { readonly skipHosted?: boolean; readonly skipImages?: boolean },
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const d of entries) {
    if (!d.isFile()) continue;
    const path = join(d.parentPath, d.name);
    const rel = path.slice(root.length + 1);
    if (options.skipHosted && rel.startsWith(join('.cache', 'kontext', 'hosted'))) continue;
    if (options.skipImages && (IMAGE.test(rel) || rel.includes(join('.cache', 'kontext', 'blobs')))) continue;
    out.set(rel, await readFile(path, 'utf8'));
  }
  return out;
}

/** The run summary, asserting the run actually ran (not a dry run). */
export function summaryOf(capture: RunCapture): Extract<RunRecipeResult, { kind: 'run' }>['summary'] {
  if (capture.result.kind !== 'run') throw new Error('expected a run, got a dry run');
  return capture.result.summary;
}

/** The nodes that failed, with their messages (for readable assertion diffs). */
export function failures(capture: RunCapture): string[] {
  return capture.events.flatMap((e) => (e.type === 'node-failed' ? [`${e.node}: ${e.code} ${e.message}`] : []));
}

/** The output path each finished or cached node reported. */
export function outputsOf(capture: RunCapture): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of capture.events) if (e.type === 'node-done' || e.type === 'node-cached') out.set(e.node, e.output);
  return out;
}

/** The `image_url` (as the emulator logged it: query strings and data elided) of each submit, by prompt. */
export function submittedUrls(project: Project, from = 0): { prompt: string; url: string }[] {
  return project
    .submits()
    .slice(from)
    .map((s) => ({ prompt: String(s.body?.['prompt']), url: String(s.body?.['image_url']) }));
}

/**
 * A fresh s3rver and a project holding its test AWS credentials (and `env`) for every test of the
 * calling file (registers the hooks; `use` receives them each time).
 */
export function useS3Project(
  use: (s3: TestS3Server, project: Project) => void,
  env: Readonly<Record<string, string>> = {},
): void {
  let s3: TestS3Server | undefined;
  let project: Project | undefined;
  beforeEach(async () => {
    s3 = await startS3Server();
    project = await createProject({ ...TEST_AWS_ENV, ...env });
    // The user's own bucket: a recipe naming the same destination needs no --trust-recipe-hosting.
    await mkdir(project.configDir, { recursive: true });
    await writeFile(join(project.configDir, 'config.json'), JSON.stringify({ hosting: s3Hosting(s3) }));
    use(s3, project);
  });
  afterEach(async () => {
    await project?.close();
    await s3?.close();
  });
}

/** The recipe `hosting:` block for that server: path-style, prefix `inputs`. */
export function s3Hosting(
  s3: TestS3Server,
  extra: Partial<Extract<HostingConfig, { mode: 's3' }>> = {},
): HostingConfig {
  return { mode: 's3', bucket: s3.bucket, prefix: 'inputs', endpoint: s3.endpoint, force_path_style: true, ...extra };
}
