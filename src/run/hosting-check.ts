/**
 * Checks before any request is made: a node that will run needs a local file hosted and no
 * hosting is configured (RunComfy fetches image URLs itself; it cannot read this machine's
 * disk); or the hosting destination comes from a recipe the user has not said they trust.
 */
import { ExitCode, KontextError } from '../errors.js';
import type { Hosting } from '../hosting/index.js';
import type { UserConfig } from '../recipe/user-config.js';
import type { HostingConfig } from '../recipe/types.js';
import type { LazySession } from '../providers/lazy.js';
import { checkRecipeHostingTrusted } from '../hosting/trust.js';
import { enforceMaxCost, type Prepared } from './prepare.js';

/**
 * What a run checks before its first request, in this order: hosting available, recipe
 * hosting trusted, then (only when there is work) the provider session opened — so a missing
 * token fails before anything else — and `--max-cost`. Plain runs and watch cycles share it.
 */
export async function preflight(
  prepared: Prepared,
  p: {
    readonly hosting: Hosting | null;
    readonly hostingConfig: HostingConfig | null;
    readonly user: UserConfig;
    readonly session: LazySession;
    readonly recipeFile: string;
    readonly trustHostingCommand?: boolean | undefined;
    readonly trustRecipeHosting?: boolean | undefined;
    readonly maxCostUsd?: number | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<void> {
  checkHostingAvailable(prepared, p.hosting);
  checkRecipeHostingTrusted(p.hostingConfig, p.user.hosting, {
    trusted: p.trustRecipeHosting === true || p.trustHostingCommand === true,
    billable: prepared.billable,
    recipeFile: p.recipeFile,
  });
  if (prepared.billable === 0) return;
  await p.session.get();
  if (p.maxCostUsd !== undefined) await enforceMaxCost(prepared, p.session.provider, p.maxCostUsd, p.signal);
}

export function checkHostingAvailable(prepared: Prepared, hosting: Hosting | null): void {
  if (hosting) return;
  const local = [...prepared.states.values()].filter(
    (s) => s.status === 'run' && s.node.input.kind === 'source' && s.node.input.path !== undefined,
  );
  const first = local[0];
  if (first?.node.input.kind !== 'source') return;
  const sources = [...new Set(local.map((s) => (s.node.input.kind === 'source' ? s.node.input.source : '')))];
  throw new KontextError(
    'E_NO_HOSTING',
    `source${sources.length === 1 ? '' : 's'} ${sources.map((s) => `"${s}"`).join(', ')} ${sources.length === 1 ? 'is a local file' : 'are local files'} (e.g. ${first.node.input.path ?? ''}), and the RunComfy API can only fetch image URLs`,
    {
      exitCode: ExitCode.DATA_ERR,
      hint: 'add `hosting: { mode: s3, bucket: ... }` or `hosting: { mode: command, command: ... }` to the recipe, pass --hosting inline (data URI; unconfirmed by RunComfy), or use an https URL source',
    },
  );
}
