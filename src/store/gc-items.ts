/**
 * What `kontext gc` (gc.ts) knows of each record and blob it scanned, and the order it removes
 * them in.
 */
import type { RunRecord } from './types.js';

export interface Item {
  readonly path: string;
  readonly size: number;
  /** On disk, as scanned: what a claim compares with. */
  readonly mtimeMs: number;
  /** Last used, for age and order: `mtimeMs`, unless that is in the future (then just before the in-use window). */
  readonly usedMs: number;
  readonly future: boolean;
  protected: boolean;
  removed: boolean;
}

export interface RecordItem extends Item {
  readonly kind: 'record';
  /** Used within gc.ts's `IN_USE_MS`: perhaps by a cache hit in progress (never removed). */
  recent?: true;
  /** Output blob and change map (review), none when the record cannot be read (then it is a miss anyway). */
  readonly blobs: readonly string[];
}

export interface BlobItem extends Item {
  readonly kind: 'blob';
  /** Remaining records pointing to it. */
  refs: number;
  /** Unrecorded and recent: perhaps a download whose record is being written (never removed). */
  pending?: true;
}

/** The blobs a record needs: its output and its change map (a record and its map share a blob only by accident). */
export function recordBlobs(record: RunRecord): string[] {
  const map = record.review?.map_sha256;
  return map === undefined || map === record.output_sha256 ? [record.output_sha256] : [record.output_sha256, map];
}

/** Least recently used first; ties by path, so a dry run and the real one pick the same. */
export function sortedByUse<T extends Item>(items: T[]): T[] {
  return items.sort((a, b) => a.usedMs - b.usedMs || Number(a.path > b.path) - Number(a.path < b.path));
}
