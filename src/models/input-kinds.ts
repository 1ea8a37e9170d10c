/**
 * The input image kinds a model takes (`ModelEntry.image.mediaTypes`): an image of another kind
 * is refused before it is sent (the run's preflight for local sources, the client for an inline
 * image), since the API would be paid to fail on it (walk-p: an AVIF sent to Replicate).
 */
import type { ModelEntry } from './types.js';

const NAMES: Readonly<Record<string, string>> = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/gif': 'GIF',
  'image/webp': 'WebP',
  'image/avif': 'AVIF',
  'image/heic': 'HEIC',
};

/** `JPEG`, `AVIF`: how a media type is named to a reader. */
export function kindName(mediaType: string): string {
  return NAMES[mediaType] ?? mediaType;
}

/**
 * Why `entry` cannot take an input image of `mediaType` (`FLUX.1 Kontext [pro] on Replicate takes
 * JPEG, PNG, GIF or WebP input images`), or null when it can (or documents no list).
 */
export function refusedInputKind(entry: ModelEntry, mediaType: string): string | null {
  const accepted = entry.image.mediaTypes;
  if (accepted === null || accepted.includes(mediaType.toLowerCase())) return null;
  const names = accepted.map(kindName);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? 'no');
  return `${entry.title} takes ${list} input images`;
}
