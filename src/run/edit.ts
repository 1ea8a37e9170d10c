/**
 * `kontext edit`: one pass over one image with the same machinery as a recipe run (cache,
 * retries, hosting, journal), built as a one-node plan. No lock file: a one-off edit has no
 * recipe to sit beside. With `--seed`, a repeat of the same edit comes from the cache.
 */
import { statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ExitCode, KontextError, UsageError } from '../errors.js';
import { checkPromptLint } from './lint-warnings.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { aspectRatiosFor, DEFAULT_MODEL, findProjectRoot, userConfigName } from '../recipe/index.js';
import type { HostingConfig, ProviderName } from '../recipe/types.js';
import { withRunContext } from './context.js';
import { guardListener } from './event-listener.js';
import { prepareRun } from './prepare.js';
import type { RunRecipeDeps } from './run-recipe.js';
import { executePlan, type RunSummary } from './scheduler.js';
import { interrupted } from './outcome.js';
import { assertImageFile } from '../recipe/sources/image-file.js';
import { classifySource } from '../recipe/sources/classify.js';
import { suggestRatio } from '../recipe/rules/values.js';
import { NOT_REGULAR_FILE } from '../recipe/sources/resolve.js';
import { editWriteGuard } from './edit-target.js';
import { prepareOutputFolder } from './output-folders.js';
import { outputPathError } from './output-errors.js';
import { checkDeps, checkProvider, checkSeed } from './option-checks.js';
import { stampWarnings } from './event-clock.js';
import { escapeName, firstHiddenChar } from '../util/hidden-chars.js';

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
  /** Replace a file already at the output path, whoever wrote it (`--overwrite`). */
  readonly overwrite?: boolean | undefined;
  /** Submit again a request a killed edit may have paid for, with its seed (`--resubmit-uncertain`). */
  readonly resubmitUncertain?: boolean | undefined;
  /** `--no-remote`: neither ask nor upload to the remote cache (KONTEXT_REMOTE_CACHE, the user config's). */
  readonly noRemote?: boolean | undefined;
}

export async function runEdit(options: EditOptions, deps: RunRecipeDeps): Promise<EditResult> {
  checkSeed(options.seed); // a usage error, not a request the API refuses
  checkDeps(deps);
  checkProvider(options.provider);
  checkOutputName(options.output);
  // The caller's exception does not stop the edit; its warnings and notices get the run's clock.
  const listener = guardListener(stampWarnings(deps.onEvent, () => deps.rt.monotonic()));
  const result = await runEditWith(options, { ...deps, onEvent: listener.onEvent });
  listener.throwIfFailed();
  return result;
}

export type EditResult = { readonly summary: RunSummary; readonly output: string | null };

async function runEditWith(options: EditOptions, deps: RunRecipeDeps): Promise<EditResult> {
  const { rt } = deps;
  // Before anything is hosted or paid for: an empty prompt (or, with --strict, any finding) stops here.
  checkPromptLint(options.prompt, { strict: options.strict ?? false, label: '--prompt' }, deps.onEvent);
  const node = editNode(options, rt.cwd);
  if (node.input.kind === 'source' && node.input.path !== undefined)
    await assertImageFile(node.input.path, escapeName(options.image));
  const outBase = outputBase(options, rt.cwd);
  const outDir = dirname(outBase);
  const stem = basename(outBase, extname(outBase));
  // The node id as a default output's stem is built: the reporters print it, the journal keys its seed.
  const id = stem.replace(/[^\w.-]+/g, '-') || 'edit';
  const plan: Plan = {
    recipe: { name: 'edit', file: '(kontext edit)', provider: options.provider, outDir },
    nodes: [{ ...node, id, output: join(outDir, stem) }],
    edges: [],
    criticalPathDepth: 1,
  };
  // The folder made (and a file tried in it) before anything is hosted or paid for; removed if nothing is written.
  const undoFolder = await prepareOutputFolder(outBase, true);
  try {
    const result = await editIn(plan, options, deps, basename(outBase));
    if (result.output === null) await undoFolder();
    return result;
  } catch (e) {
    await undoFolder();
    throw e;
  }
}

async function editIn(plan: Plan, options: EditOptions, deps: RunRecipeDeps, name: string): Promise<EditResult> {
  const { rt } = deps;
  const node = plan.nodes[0] as PlanNode;
  const { id } = node;
  const { outDir } = plan.recipe;
  const contextOptions = {
    provider: options.provider,
    hosting: options.hosting,
    cacheDir: options.cacheDir,
    signal: options.signal,
    jobs: 1,
    noRemote: options.noRemote,
  };
  const ran = await withRunContext(deps, contextOptions, async (context) => {
    const run = await context.scope({
      provider: options.provider,
      projectRoot: findProjectRoot(rt.cwd, rt.cwd),
      extraRoots: node.input.kind === 'source' && node.input.path ? [dirname(node.input.path)] : [],
      recipeFile: plan.recipe.file,
      edit: true,
    });
    const prepared = await prepareRun(
      plan,
      {
        store: run.store,
        providerName: run.providerName,
        lock: { version: 1, nodes: {} },
        draw: rt.randomSeed,
        deriveSeeds: false, // a repeated edit without --seed is a new draw
        self: rt,
      },
      {},
    );
    // The output path is the user's own choice (-o), so it may be outside the project; checked before paying.
    const writeGuard = await editWriteGuard(
      {
        outDir,
        name: basename(node.output ?? id),
        input: node.input.kind === 'source' ? node.input.path : undefined,
        projectRoot: findProjectRoot(rt.cwd, rt.cwd),
        provider: options.provider,
        model: node.model,
        overwrite: options.overwrite === true,
        hit: hitOf(prepared.states.get(id)?.record),
      },
      run.store,
    );
    await run.preflight(prepared, { guard: writeGuard }).catch((e: unknown) => {
      throw editHostingError(e, escapeName(options.image), userConfigName(rt));
    });
    const paidHint = (_: PlanNode, seed: number | null): string => editPaidHint(name, seed);
    const runDeps = run.runDeps({ lockPath: null, onEvent: deps.onEvent, writeGuard, paidHint });
    return executePlan(prepared, runDeps, {
      jobs: 1,
      signal: options.signal,
      overwrite: options.overwrite === true,
      resubmitUncertain: options.resubmitUncertain === true,
    });
  });
  // The summary last: after the context's close (its uploads and their notices).
  const summary = ran.announce(interrupted(ran.summary, options.signal));
  const outcome = summary.outcomes.get(id);
  return { summary, output: outcome?.kind === 'ok' ? outcome.path : null };
}

/**
 * How an edit's paid result that could not be written is got without paying again: its seed is
 * journaled under the node id (the output's name), so the same name in any folder reuses it, and
 * `--seed` finds the cached result under any name. Another name alone draws a new seed.
 */
function editPaidHint(name: string, seed: number | null): string {
  const orSeed = seed === null ? '' : `, or with --seed ${seed}`;
  return (
    `the result is kept in the cache: run this edit again with -o naming a file ${name} (in any folder)${orSeed}, ` +
    'and it is written without a new request'
  );
}

function hitOf(record: { readonly output_sha256: string; readonly ext: string } | null | undefined) {
  return record ? { sha256: record.output_sha256, ext: record.ext } : undefined;
}

/** Preflight's "no hosting" error said as an edit's: there is no recipe to add `hosting:` to. */
function editHostingError(e: unknown, image: string, configFile: string): unknown {
  if (!(e instanceof KontextError) || e.code !== 'E_NO_HOSTING') return e;
  return new KontextError(e.code, `--image ${image} is a local file, and the RunComfy API can only fetch image URLs`, {
    exitCode: e.exitCode,
    hint:
      'pass --hosting inline (data URI; unconfirmed by RunComfy), or --hosting s3|command with its settings ' +
      `as {"hosting": {...}} in ${configFile}, or an https URL as --image`,
  });
}

/**
 * A `-o` holding a control, bidi or invisible character is refused (exit 64) before anything is
 * read or paid for, as a recipe's file name is: the file would be named other than it reads, and
 * its name would reach the terminal (an escape sequence obeyed, a newline forging a line).
 */
function checkOutputName(output: string | undefined): void {
  const hidden = output === undefined ? null : firstHiddenChar(output, 'name');
  if (output === undefined || hidden === null) return;
  throw new UsageError(
    `-o ${escapeName(output)} holds ${hidden.code} (${hidden.what}) at character ${hidden.index + 1}`,
    { hint: 'name the output without it: a file name must read as it is' },
  );
}

/**
 * The output path before its extension is settled: `-o` as given, or `<image stem>-edited.png` in
 * the current folder or in the folder `-o` names (one that exists, or any written with a trailing slash).
 */
function outputBase(options: Pick<EditOptions, 'image' | 'output'>, cwd: string): string {
  const stem = basename(options.image, extname(options.image)).replace(/[^\w.-]+/g, '-') || 'image';
  const name = `${stem}-edited.png`;
  const out = options.output;
  if (out === undefined) return resolve(cwd, name);
  const folder = /[\\/]$/.test(out) || isFolder(resolve(cwd, out));
  const path = folder ? resolve(cwd, out, name) : resolve(cwd, out);
  if (!['missing', 'folder'].includes(kindOf(dirname(path)))) throw outputPathError(notAFolder(), path);
  return path;
}

/** Whether `path` is a folder. */
function isFolder(path: string): boolean {
  return kindOf(path) === 'folder';
}

/** What is at `path`; a path through a file (ENOTDIR) is an exit-73 error naming it, before anything is paid. */
function kindOf(path: string): 'missing' | 'folder' | 'other' {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return 'missing';
    return stat.isDirectory() ? 'folder' : 'other';
  } catch (e) {
    throw outputPathError(e, path);
  }
}

function notAFolder(): Error {
  return Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
}

/**
 * A local `--image` that is not a regular file, as a recipe source's is refused (exit 66): missing,
 * a folder, or a device, FIFO or socket (a link to `/dev/urandom`), each said as such.
 */
function refuseNonFile(path: string, image: string): void {
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(path, { throwIfNoEntry: false });
  } catch {
    info = undefined; // ENOTDIR, ELOOP, EACCES: nothing readable there (as existsSync says)
  }
  if (info?.isFile() === true) return;
  if (info === undefined)
    throw new KontextError('E_SOURCE_MISSING', `--image ${image}: no such file`, { exitCode: ExitCode.NO_INPUT });
  const what = info.isDirectory() ? 'a folder, not an image file' : NOT_REGULAR_FILE;
  throw new KontextError('E_SOURCE_NOT_FILE', `--image ${image}: ${what}`, { exitCode: ExitCode.NO_INPUT });
}

function editNode(options: EditOptions, cwd: string): PlanNode {
  const model = options.model ?? DEFAULT_MODEL;
  // The ratios of the model on the edit's provider: BFL and Replicate also take 2:1, 5:4, 4:5, 1:2.
  const ratios = aspectRatiosFor(model, options.provider);
  if (options.aspectRatio !== undefined && !ratios.includes(options.aspectRatio)) {
    // The nearest ratio, as a recipe's aspect_ratio is told (walk-r).
    const near = suggestRatio(options.aspectRatio, ratios);
    throw new UsageError(`--aspect-ratio ${options.aspectRatio} is not one of ${ratios.join(', ')}`, {
      ...(near === undefined ? {} : { hint: `did you mean ${near}?` }),
    });
  }
  const url = imageUrl(options.image);
  const path = url !== undefined ? undefined : resolve(cwd, options.image);
  if (path !== undefined) refuseNonFile(path, escapeName(options.image));
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
      ...(url !== undefined ? { url } : { path: path as string }),
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

/**
 * `--image` as a URL, by the rule a recipe's sources follow (`classifySource`): https only, parsable,
 * no user name or password; else exit 65 before anything is hosted or paid for. `undefined`: a path.
 */
function imageUrl(image: string): string | undefined {
  const kind = classifySource(image);
  if (kind.kind === 'url') return kind.url;
  if (kind.kind !== 'invalid') return undefined;
  // A recipe's hint may offer a glob; an edit takes one image.
  const hint = kind.code === 'source-scheme' ? 'use a local path or an https:// URL' : kind.hint;
  throw new KontextError('E_SOURCE_URL', `--image: ${kind.message}`, { exitCode: ExitCode.DATA_ERR, hint });
}
