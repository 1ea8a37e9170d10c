/**
 * Checks before any request is made: a node that will run needs a local file hosted and no
 * hosting is configured (RunComfy fetches image URLs itself; it cannot read this machine's
 * disk); the hosting destination comes from a recipe the user has not said they trust; a local
 * source to host is not a whole image (a PNG cut short, a decompression bomb: hosting refuses
 * it, so the run says so before it pays for anything); with inline hosting, a local source
 * over its node's inline cap (checked per node by the clients too, but then after other nodes
 * may have been paid); the run would cost more than `--max-cost`. The run context (context.ts)
 * makes them in order, opening the provider session between the hosting checks and the price
 * check.
 */
import { stat } from 'node:fs/promises';
import pLimit from 'p-limit';
import { ExitCode, KontextError, type SourceLocation } from '../errors.js';
import { assertHostableImageFile, HostingError, type Hosting } from '../hosting/index.js';
import { checkRecipeHostingTrusted } from '../hosting/trust.js';
import type { UserConfig } from '../recipe/user-config.js';
import { isProviderName, lookupModel } from '../models/registry.js';
import type { HostingConfig } from '../recipe/types.js';
import { providerOf } from './node-provider.js';
import { checkSourceKinds } from './source-kinds.js';
import { aheadImages } from './prefetch.js';
import type { Prepared } from './prepare.js';
import type { CostLimitSource } from './cost-limit.js';
import { priceRun, type PriceSources } from './prices.js';
import { sizeAgainstCap } from '../util/units.js';

/** The hosting checks: a hosting for local sources, and a recipe's own hosting destination only when trusted. */
export function checkHosting(
  prepared: Prepared,
  p: {
    readonly hosting: Hosting | null;
    readonly hostingConfig: HostingConfig | null;
    readonly user: UserConfig;
    readonly recipeFile: string;
    /** Where the recipe's `hosting:` fields are written, to point at one; none for an edit. */
    readonly hostingAt?: Readonly<Record<string, SourceLocation>> | undefined;
    readonly trustHostingCommand?: boolean | undefined;
    readonly trustRecipeHosting?: boolean | undefined;
    /** Where each source is declared (by name): a local one with no hosting is refused there. */
    readonly sourcesAt?: Readonly<Record<string, SourceLocation>> | undefined;
  },
): void {
  checkHostingAvailable(prepared, p.hosting, p.sourcesAt);
  checkRecipeHostingTrusted(p.hostingConfig, p.user.hosting, {
    trusted: p.trustRecipeHosting === true || p.trustHostingCommand === true,
    billable: prepared.billable,
    recipeFile: p.recipeFile,
    userConfigFile: p.user.file,
    locate: (field) =>
      p.hostingAt !== undefined && Object.hasOwn(p.hostingAt, field) ? p.hostingAt[field] : undefined,
  });
}

function checkHostingAvailable(
  prepared: Prepared,
  hosting: Hosting | null,
  sourcesAt: Readonly<Record<string, SourceLocation>> | undefined,
): void {
  if (hosting) return;
  const local = [...prepared.states.values()].filter(
    (s) => s.status === 'run' && s.node.input.kind === 'source' && s.node.input.path !== undefined,
  );
  const first = local[0];
  if (first?.node.input.kind !== 'source') return;
  const sources = [...new Set(local.map((s) => (s.node.input.kind === 'source' ? s.node.input.source : '')))];
  throw new KontextError(
    'E_NO_HOSTING',
    `${sources.length === 1 ? 'source' : 'sources'} ${sources.map((s) => `"${s}"`).join(', ')} ` +
      `${sources.length === 1 ? 'is a local file' : 'are local files'} (e.g. ${first.node.input.path ?? ''}), ` +
      'and the RunComfy API can only fetch image URLs',
    {
      exitCode: ExitCode.DATA_ERR,
      hint:
        'add `hosting: { mode: s3, bucket: ... }` or `hosting: { mode: command, command: ... }` to the recipe, ' +
        'pass --hosting inline (data URI; unconfirmed by RunComfy), or use an https URL source',
      // At the first such source's line in the recipe, where the fix goes.
      ...(sourcesAt?.[first.node.input.source] ? { location: sourcesAt[first.node.input.source] } : {}),
    },
  );
}

/** Local sources checked at once (a few small reads each). */
const SOURCE_CHECKS = 16;

/**
 * Each distinct local source a running node will host, checked as hosting checks it (a whole
 * image, not a decompression bomb); the first refused in plan order is thrown (exit 65), at the
 * source's `recipe.yml:line:col` when `sourcesAt` (by source name) knows it, as the recipe's
 * own checks report a source that is not an image at all. Then each one's kind against the
 * input kinds of the model its node runs on (source-kinds.ts; `fallback`: the run's provider).
 */
export async function checkHostedSources(
  prepared: Prepared,
  hosting: Hosting | null,
  fallback: string,
  sourcesAt?: Readonly<Record<string, SourceLocation>>,
): Promise<void> {
  if (!hosting) return;
  const limit = pLimit(SOURCE_CHECKS);
  const images = aheadImages(prepared);
  const checks = await Promise.allSettled(images.map(({ path }) => limit(() => assertHostableImageFile(path))));
  const at = checks.findIndex((c) => c.status === 'rejected');
  const refused = checks[at];
  if (refused?.status !== 'rejected') {
    // By sha256: two files of the same bytes are checked once (aheadImages), each node's is known.
    const kinds = new Map(images.map(({ sha256 }, i) => [sha256, (checks[i] as PromiseFulfilledResult<string>).value]));
    return checkSourceKinds(prepared, kinds, fallback, sourcesAt);
  }
  const e: unknown = refused.reason;
  const source = sourceOf(prepared, images[at]?.path);
  const location = source === undefined ? undefined : sourcesAt?.[source];
  if (!(e instanceof HostingError) || location === undefined || e.location !== undefined) throw e;
  throw new HostingError(e.code, `sources.${source}: ${e.message}`, { hint: e.hint, cause: e, location });
}

/** The name of the source a node hosts `path` for. */
function sourceOf(prepared: Prepared, path: string | undefined): string | undefined {
  for (const { node } of prepared.states.values())
    if (node.input.kind === 'source' && node.input.path === path) return node.input.source;
  return undefined;
}

/**
 * With inline hosting, each local source a running node sends travels inside its request: one
 * over the cap its model's table entry gives inline images (`inlineMaxBytes`, what the client
 * refuses with a 413 before sending) stops the run here (exit 65, naming the file and the cap),
 * before any node is paid. A catalog model without an entry has no known cap. The outputs of
 * earlier passes cannot be known yet: the clients still check those per node. `recipeInline`: the
 * recipe's own block chose inline (a user config's block would not be used: the hint says so);
 * `edit`: a one-off edit, whose hint names no recipe.
 */
export async function checkInlineSources(
  prepared: Prepared,
  hosting: Hosting | null,
  fallback: string,
  how: { readonly recipeInline?: boolean; readonly edit?: boolean } = {},
): Promise<void> {
  if (hosting?.mode !== 'inline') return;
  const sizes = new Map<string, number>();
  for (const s of prepared.states.values()) {
    const { node } = s;
    const path = node.input.kind === 'source' ? node.input.path : undefined;
    const provider = providerOf(node, fallback);
    if (s.status !== 'run' || prepared.stopped?.has(node.id) === true || path === undefined) continue;
    const cap = isProviderName(provider) ? lookupModel(provider, node.model)?.image.inlineMaxBytes : undefined;
    if (cap === undefined || cap === null) continue;
    const bytes = sizes.get(path) ?? (await stat(path)).size;
    sizes.set(path, bytes);
    if (bytes <= cap) continue;
    const sized = sizeAgainstCap(bytes, cap);
    throw new KontextError(
      'E_IMAGE_TOO_LARGE',
      `${path}: the input image is ${sized.size} inline, over the ${sized.cap} ${provider} accepts ` +
        `(node ${node.id}, model ${node.model}); nothing was submitted`,
      {
        exitCode: ExitCode.DATA_ERR,
        hint:
          how.edit === true
            ? editTooLargeHint(fallback === 'emulator')
            : tooLargeHint(how.recipeInline === true, fallback === 'emulator'),
      },
    );
  }
}

/**
 * Price the billable nodes (model table, else each provider's model info); throw when they and
 * `spentUsd` (what earlier runs under the same limit spent; `null`: unknown) are over the limit.
 */
export async function enforceMaxCost(
  prepared: Prepared,
  limit: PriceSources & {
    readonly maxCostUsd: number;
    readonly spentUsd?: number | null;
    readonly from: CostLimitSource;
  },
): Promise<number> {
  const { maxCostUsd, from } = limit;
  const spent = limit.spentUsd ?? 0;
  const requests = `${prepared.billable} billable request${prepared.billable === 1 ? '' : 's'}`;
  if (limit.spentUsd === null) {
    throw new KontextError(
      'E_MAX_COST_UNKNOWN_PRICE',
      `${from.name}: what the recipes before this one spent is not known (a price was not known), ` +
        `so this run's ${requests} ${prepared.billable === 1 ? 'is' : 'are'} not submitted`,
      { exitCode: ExitCode.DATA_ERR, hint: `run this recipe on its own, or ${from.drop}` },
    );
  }
  const price = await priceRun(prepared, limit);
  if (!price.known) {
    throw new KontextError(
      'E_MAX_COST_UNKNOWN_PRICE',
      `${from.name}: the price of ${price.model} on ${price.provider} is not known (${price.why}), ` +
        `so this run's ${requests} ${prepared.billable === 1 ? 'is' : 'are'} not submitted`,
      price.noAnswer
        ? { exitCode: ExitCode.TEMP_FAIL, hint: `run again later, or ${from.drop}` }
        : { exitCode: ExitCode.DATA_ERR, hint: `${from.drop}, or use a model with a published price` },
    );
  }
  const total = price.totalUsd;
  if (total + spent > maxCostUsd + 1e-9) {
    const before = spent > 0 ? `; with the $${spent.toFixed(2)} the recipes before it spent, that is` : ',';
    throw new KontextError(
      'E_MAX_COST',
      `this run would cost about $${total.toFixed(2)} (${requests})${before} ` +
        `over ${from.name} $${maxCostUsd.toFixed(2)}; nothing was submitted`,
      { exitCode: ExitCode.DATA_ERR, hint: `${from.raise}, or narrow the run with --only` },
    );
  }
  return total;
}

/**
 * How to give an image over its inline cap a URL. `recipeInline`: the recipe's own block chose
 * inline; `emulatorRecipe`: the run's provider (the recipe's or `--provider`) is the built-in
 * emulator, whose runs keep images inline with a user config's block unused (choose-hosting.ts).
 */
function tooLargeHint(recipeInline: boolean, emulatorRecipe: boolean): string {
  const url = 'give the image a URL instead: ';
  const scale = '; or scale the image down';
  if (recipeInline)
    return (
      `${url}the recipe's \`hosting: { mode: inline }\` sends it in the request; make it s3 or command ` +
      `(or drop it to use your user config’s), or pass --hosting s3|command${scale}`
    );
  if (emulatorRecipe)
    return (
      `${url}this run is on the built-in emulator (the recipe's provider or --provider), which keeps images ` +
      `inline whatever your user config says; add a \`hosting:\` block (mode: s3 or command) to the recipe, or ` +
      `pass --hosting s3|command${scale}`
    );
  return (
    `${url}add a \`hosting:\` block (mode: s3 or command) to the recipe or your user config, or pass ` +
    `--hosting s3|command${scale}`
  );
}

/** {@link tooLargeHint} for `kontext edit`: its hosting comes from `--hosting` and the user config only. */
function editTooLargeHint(emulator: boolean): string {
  const url = 'give the image a URL instead: ';
  const scale = '; or scale the image down';
  if (emulator)
    return (
      `${url}this edit is on the built-in emulator (--provider emulator), which keeps images inline whatever ` +
      `your user config says; pass --hosting s3|command (its settings in your user config)${scale}`
    );
  return (
    `${url}add a \`hosting\` block (mode: s3 or command) to your user config, or pass --hosting s3|command` + scale
  );
}
