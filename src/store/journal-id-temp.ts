/**
 * A request id that reached the disk but not its journal entry. `add` writes the entry, id and
 * all, to a temp beside it, then renames it over the claim's intent: a kill -9 in between left
 * the id in the temp and the intent without it, which read as "maybe paid" (the next run stopped
 * with exit 75, and `--resubmit-uncertain` paid a second time for a request whose id was on disk).
 * An intent whose writer is provably dead is read with the id such a temp of the same writer
 * holds: the same claim (key, node, run, process, request body) with its request id. Nothing is
 * renamed (a reader, `kontext status` too, writes nothing; no race with another run taking the
 * entry over): `kontext gc` keeps such a temp while its intent is there (gc.ts); the entry's
 * removal once the request is recorded leaves it to gc as a dead writer's temp.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tagIsDead, writerOf } from '../util/process-tag.js';
import { isTempName } from './atomic.js';
import { isSha256Hex } from './layout.js';
import { readJsonOrNull } from './read-json.js';
import { JournalEntrySchema } from './schemas.js';
import type { JournalEntry } from './types.js';

/** `entry` (read at `path`), with the request id a dead writer's temp beside it holds for the same claim. */
export async function withIdFromTemp(path: string, entry: JournalEntry): Promise<JournalEntry> {
  return (await idTempOf(path, entry))?.entry ?? entry;
}

/**
 * The temp beside the intent `entry` (read at `path`) that holds its request id, and the entry it
 * holds: only for an intent whose writer is provably dead, from a temp of that writer, for the
 * same claim. `kontext gc` keeps it (gc.ts) while the intent is there.
 */
async function idTempOf(
  path: string,
  entry: JournalEntry,
): Promise<{ readonly name: string; readonly entry: JournalEntry } | null> {
  const { proc, pid } = entry;
  if (entry.request_id !== undefined || proc === undefined || pid === undefined || !tagIsDead(proc, pid)) return null;
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  let newest: { readonly name: string; readonly entry: JournalEntry } | null = null;
  for (const name of names) {
    if (!name.startsWith(prefix) || !isTempName(name) || writerOf(name.slice(0, -'.tmp'.length))?.tag !== proc)
      continue;
    // A temp cut short by the kill does not parse; one of another claim does not match.
    const found = await readJsonOrNull(join(dir, name), JournalEntrySchema).catch(() => null);
    // This intent's own (an earlier attempt's, a re-host's first request, is not): told by the
    // intent's token; an intent written without one (an older kontext) by the temp's time, written after.
    if (found?.request_id === undefined || !sameClaim(found, entry) || !completes(found, entry)) continue;
    if (newest === null || found.submitted_at > newest.entry.submitted_at) newest = { name, entry: found };
  }
  return newest;
}

/**
 * Whether `found` (a temp holding a request id) completes the intent `entry`: it carries the
 * intent's token. Not by time: a clock stepped back between the intent and its request id dated
 * the temp before its own intent, and a free re-attach read as "maybe paid" (walk-ae 6).
 */
function completes(found: JournalEntry, entry: JournalEntry): boolean {
  if (entry.attempt !== undefined) return found.attempt === entry.attempt;
  return found.submitted_at >= entry.submitted_at;
}

function sameClaim(a: JournalEntry, b: JournalEntry): boolean {
  return (
    a.key === b.key &&
    a.node === b.node &&
    a.run === b.run &&
    a.proc === b.proc &&
    a.pid === b.pid &&
    a.seed === b.seed &&
    a.input_sha256 === b.input_sha256 &&
    a.body_sha256 === b.body_sha256 &&
    a.provider === b.provider &&
    a.model === b.model
  );
}

/** Of a journal folder's files, the temps holding the request id of an intent beside them: what gc keeps. */
export async function idTempsIn(
  journal: readonly { readonly name: string; readonly path: string }[],
): Promise<Set<string>> {
  const kept = new Set<string>();
  for (const { name, path } of journal) {
    if (!name.endsWith('.json') || !isSha256Hex(name.slice(0, -'.json'.length))) continue;
    const entry = await readJsonOrNull(path, JournalEntrySchema).catch(() => null);
    const temp = entry === null ? null : await idTempOf(path, entry);
    if (temp) kept.add(temp.name);
  }
  return kept;
}
