/**
 * `--dry-run` / `--explain` lines: how an input will reach the API. Pure formatting.
 */
import { redactUrl } from '../util/redact.js';
import type { HostingPreview } from './types.js';

/** `812 B`, `1.2 MB` (decimal units, as upload tools and bills count). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit] ?? 'TB'}`;
}

/** `45 s`, `41 min`, `5 h`, `6 d`: rounded down, since it is time left. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

export function inlinePreview(dataUriLength: number): HostingPreview {
  return {
    action: 'inline',
    bytes: dataUriLength,
    expiresAt: null,
    redactedUrl: null,
    text: `inline data URI (${formatBytes(dataUriLength)})`,
  };
}

/** `url` null: the bytes are hosted and the run makes a URL for them (s3 records keep none). */
export function reusePreview(url: string | null, expiresAt: number | null, nowMs: number): HostingPreview {
  if (url === null)
    return {
      action: 'reuse',
      bytes: 0,
      expiresAt,
      redactedUrl: null,
      text: 'reuse the uploaded object (a URL is made for the run)',
    };
  const when = expiresAt === null ? 'does not expire' : `expires in ${formatDuration(expiresAt - nowMs)}`;
  return { action: 'reuse', bytes: 0, expiresAt, redactedUrl: redactUrl(url), text: `reuse hosted URL (${when})` };
}

export function uploadPreview(bytes: number, note?: string): HostingPreview {
  const suffix = note ? ` (${note})` : '';
  return {
    action: 'upload',
    bytes,
    expiresAt: null,
    redactedUrl: null,
    text: `will upload ${formatBytes(bytes)}${suffix}`,
  };
}

export function rehostPreview(bytes: number, text: string): HostingPreview {
  return { action: 'rehost', bytes, expiresAt: null, redactedUrl: null, text };
}
