/**
 * Fail before any request when a node that will run needs a local file hosted and no hosting
 * is configured (RunComfy fetches image URLs itself; it cannot read this machine's disk).
 */
import { ExitCode, KontextError } from '../errors.js';
import type { Hosting } from '../hosting/index.js';
import type { Prepared } from './prepare.js';

export function checkHostingAvailable(prepared: Prepared, hosting: Hosting | null): void {
  if (hosting) return;
  const local = [...prepared.states.values()].filter(
    (s) => s.status === 'run' && s.node.input.kind === 'source' && s.node.input.path !== undefined,
  );
  const first = local[0];
  if (!first || first.node.input.kind !== 'source') return;
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
