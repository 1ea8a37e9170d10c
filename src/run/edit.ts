/**
 * `kontext edit`: one pass over one image with the same machinery as a recipe run (cache,
 * retries, hosting, journal), built as a one-node plan. No lock file: a one-off edit has no
 * recipe to sit beside. With `--seed`, a repeat of the same edit comes from the cache.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ExitCode, KontextError, UsageError } from '../errors.js';
import { checkPromptLint } from './lint-warnings.js';
import { createHosting } from '../hosting/index.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { openProviderSession } from '../providers/session.js';
import { aspectRatiosFor, DEFAULT_MODEL, findProjectRoot, loadUserConfig } from '../recipe/index.js';
import type { HostingConfig, ProviderName } from '../recipe/types.js';
import { openStore } from '../store/index.js';
import type { RunRecipeDeps } from './run-recipe.js';
import { chooseHosting } from './run-recipe.js';
import { checkHostingAvailable } from './hosting-check.js';
import { prepareRun } from './prepare.js';
import { executePlan, type RunSummary } from './scheduler.js';
import { assertImageFile } from '../recipe/sources/image-file.js';
import { buildWriteGuard } from '../store/write-guard.js';

export interface EditOptions {
  readonly image: string;
  readonly prompt: string;
  readonly seed?: number | undefined;
  readonly aspectRatio?: string | undefined;
  /** Output file; its extension is replaced by the real format's when they differ. */
  readonly output?: string | undefined;
  readonly model?: string | undefined;
  readonly provider: ProviderName;
  readonly hosting?: HostingConfig['mode'] | undefined;
  readonly cacheDir?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Prompt-lint warnings are errors (`--strict`). */
  readonly strict?: boolean | undefined;
}

export async function runEdit(
  options: EditOptions,
  deps: Omit<RunRecipeDeps, 'session'>,
): Promise<{ readonly summary: RunSummary; readonly output: string | null }> {
  const { rt } = deps;
  // Before anything is hosted or paid for: an empty prompt (or, with --strict, any finding) stops here.
  checkPromptLint(options.prompt, { strict: options.strict ?? false, label: '--prompt' }, deps.onEvent);
  const node = editNode(options, rt.cwd);
  if (node.input.kind === 'source' && node.input.path !== undefined)
    await assertImageFile(node.input.path, options.image);
  const outBase = resolve(
    rt.cwd,
    options.output ??
      `${basename(options.image, extname(options.image)).replace(/[^\w.-]+/g, '-') || 'image'}-edited.png`,
  );
  const outDir = dirname(outBase);
  const id = basename(outBase, extname(outBase));
  const plan: Plan = {
    recipe: { name: 'edit', file: '(kontext edit)', provider: options.provider, outDir },
    nodes: [{ ...node, id }],
    edges: [],
    criticalPathDepth: 1,
  };
  const projectRoot = findProjectRoot(rt.cwd, rt.cwd);
  const store = await openStore(
    resolve(rt.cwd, options.cacheDir ?? rt.env['KONTEXT_CACHE_DIR'] ?? join(projectRoot, '.kontext')),
  );
  const prepared = await prepareRun(
    plan,
    { store, providerName: options.provider, lock: { version: 1, nodes: {} }, draw: rt.randomSeed },
    {},
  );
  const config = chooseHosting(undefined, options.hosting, await loadUserConfig(rt), options.provider);
  const extraRoots = node.input.kind === 'source' && node.input.path ? [dirname(node.input.path)] : [];
  const hosting = config ? createHosting(config, { rt, cacheDir: store.root, projectRoot, extraRoots }) : null;
  try {
    checkHostingAvailable(prepared, hosting);
    const session = await openProviderSession(options.provider, rt);
    try {
      const summary = await executePlan(
        prepared,
        {
          rt,
          provider: session.provider,
          providerName: options.provider,
          store,
          hosting,
          lockPath: null,
          // The output path is the user's own choice (-o), so it may be anywhere but onto the image itself.
          writeGuard: await buildWriteGuard({
            projectRoot,
            allowOutsideRoot: true,
            protectedFiles: node.input.kind === 'source' && node.input.path ? [node.input.path] : [],
            cacheDir: store.root,
          }),
          onEvent: deps.onEvent,
          pid: deps.pid,
          isAlive: deps.isAlive,
        },
        { jobs: 1, signal: options.signal },
      );
      const outcome = summary.outcomes.get(id);
      return { summary, output: outcome?.kind === 'ok' ? outcome.path : null };
    } finally {
      await session.close();
    }
  } finally {
    await hosting?.close?.();
    await store.flush();
  }
}

function editNode(options: EditOptions, cwd: string): PlanNode {
  const model = options.model ?? DEFAULT_MODEL;
  if (options.aspectRatio !== undefined && !aspectRatiosFor(model).includes(options.aspectRatio)) {
    throw new UsageError(`--aspect-ratio ${options.aspectRatio} is not one of ${aspectRatiosFor(model).join(', ')}`);
  }
  const isUrl = /^https?:\/\//i.test(options.image);
  const path = isUrl ? undefined : resolve(cwd, options.image);
  if (path !== undefined && (!existsSync(path) || !statSync(path).isFile())) {
    throw new KontextError('E_SOURCE_MISSING', `--image ${options.image}: no such file`, {
      exitCode: ExitCode.NO_INPUT,
    });
  }
  return {
    id: 'edit',
    pass: 'edit',
    source: 'image',
    instance: null,
    variant: null,
    input: {
      kind: 'source',
      source: 'image',
      instance: null,
      ...(isUrl ? { url: options.image } : { path: path as string }),
    },
    prompt: options.prompt,
    seed: options.seed ?? null,
    aspectRatio: options.aspectRatio ?? null,
    model,
    params: {},
    save: null,
    depth: 1,
  };
}
