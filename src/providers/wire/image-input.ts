/**
 * The input image in the form the model table says the endpoint takes (docs/architecture.md#models):
 * an http(s) URL as is where URLs are accepted; a `data:` URI (what inline hosting makes) as is,
 * or as raw base64 without its prefix (BFL). An inline image over the entry's cap is refused
 * before anything is sent: it needs hosting (`hosting: s3` or `command`).
 */
import type { ModelEntry } from '../../models/types.js';
import { InputRejectedError } from '../runcomfy/errors.js';
import { sizeAgainstCap } from '../../util/units.js';

/** Decoded size of a base64 payload (padding aware). */
function base64Bytes(payload: string): number {
  const clean = payload.replace(/\s+/g, '');
  const pad = /=*$/.exec(clean)?.[0].length ?? 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - pad);
}

/**
 * Refused locally, before the request leaves: reported with HTTP 413 (what the API would
 * answer), so the journal knows nothing was submitted (src/run/submit-claim.ts).
 */
function refuse(message: string, hint: string): InputRejectedError {
  return new InputRejectedError(message, { status: 413, hint });
}

const HOSTING_HINT =
  'give the image a URL instead: add a `hosting:` block to the recipe (mode: s3 or command) ' +
  'or pass --hosting s3|command';

export function imageForEntry(entry: ModelEntry, imageUrl: string, label: string): string {
  const { accepts, inlineMaxBytes } = entry.image;
  if (/^https?:\/\//i.test(imageUrl)) {
    if (accepts.includes('url')) return imageUrl;
    throw refuse(`${label} ${entry.endpoint} takes the image inline only, not as a URL`, 'use --hosting inline');
  }
  const m = /^data:([^,]*),(.*)$/s.exec(imageUrl);
  if (!m) throw refuse(`${label}: the input image is neither an http(s) URL nor a data: URI`, HOSTING_HINT);
  const meta = m[1] ?? '';
  const payload = meta.endsWith(';base64')
    ? (m[2] ?? '')
    : Buffer.from(decodeURIComponent(m[2] ?? ''), 'utf8').toString('base64');
  const bytes = base64Bytes(payload);
  if (inlineMaxBytes === null || !(accepts.includes('data-uri') || accepts.includes('raw-base64'))) {
    throw refuse(`${label} ${entry.endpoint} does not take inline images`, HOSTING_HINT);
  }
  if (bytes > inlineMaxBytes) {
    const sized = sizeAgainstCap(bytes, inlineMaxBytes);
    throw refuse(
      `${label}: the input image is ${sized.size} inline, over the ${sized.cap} ${label} accepts`,
      HOSTING_HINT,
    );
  }
  if (accepts.includes('data-uri')) return meta.endsWith(';base64') ? imageUrl : `data:${meta};base64,${payload}`;
  return payload;
}
