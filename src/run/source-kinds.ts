/**
 * Each local source a running node sends, against the input kinds its model documents
 * (models/input-kinds.ts): an AVIF for a pass on Replicate, whose schema lists JPEG, PNG, GIF and
 * WebP, stops the run before anything is paid (exit 65, at the source's `recipe.yml:line:col`),
 * rather than paying for a request that fails (walk-p 5).
 */
import { ExitCode, KontextError, type SourceLocation } from '../errors.js';
import { kindName, refusedInputKind } from '../models/input-kinds.js';
import { isProviderName, lookupModel } from '../models/registry.js';
import { providerOf } from './node-provider.js';
import type { Prepared } from './prepare.js';

/** `kinds`: the media type of each local image a running node hosts, by its sha256 (the hosting check's). */
export function checkSourceKinds(
  prepared: Prepared,
  kinds: ReadonlyMap<string, string>,
  fallback: string,
  sourcesAt?: Readonly<Record<string, SourceLocation>>,
): void {
  for (const s of prepared.states.values()) {
    const { node } = s;
    const input = node.input;
    if (s.status !== 'run' || prepared.stopped?.has(node.id) === true || input.kind !== 'source') continue;
    const mediaType = s.inputSha === null ? undefined : kinds.get(s.inputSha);
    const provider = providerOf(node, fallback);
    const entry = isProviderName(provider) ? lookupModel(provider, node.model) : undefined;
    const refused = entry === undefined || mediaType === undefined ? null : refusedInputKind(entry, mediaType);
    if (refused === null || mediaType === undefined) continue;
    const location = sourcesAt?.[input.source];
    const kind = kindName(mediaType);
    const what = `${input.path ?? ''} is a${/^[AEIOU]/.test(kind) ? 'n' : ''} ${kind} image`;
    throw new KontextError(
      'E_IMAGE_KIND',
      `${location === undefined ? '' : `sources.${input.source}: `}${what}; ${refused} ` +
        `(node ${node.id}); nothing was submitted`,
      {
        exitCode: ExitCode.DATA_ERR,
        hint: 'convert it to PNG or JPEG, or give this pass another provider with `provider:`',
        ...(location === undefined ? {} : { location }),
      },
    );
  }
}
