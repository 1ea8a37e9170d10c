/**
 * Nothing the user changed is destroyed. Before an output or `save:` copy is written, the file
 * already at that path is checked against the lock:
 * - missing: written (restored silently);
 * - holding the bytes about to be written: nothing to do;
 * - holding the lock's `output_sha256` for the node: kontext wrote it, so kontext may replace it
 *   (its writes are atomic: a file kontext wrote half-way never exists);
 * - anything else — changed by hand since kontext wrote it, or a file kontext never wrote (no
 *   lock entry) — is left as it is and the node fails (exit 65; the other nodes go on), unless
 *   the run has `--overwrite`.
 * A node with a lock entry is checked before it is submitted too, so a refusal costs nothing.
 */
import { dirname, join } from 'node:path';
import { lstat } from 'node:fs/promises';
import { ExitCode, KontextError } from '../errors.js';
import { outputPathFor } from '../plan/index.js';
import type { PlanNode } from '../plan/types.js';
import type { LockEntry } from '../store/types.js';

/** An output changed by hand (or never written by kontext) that a run would overwrite. */
export class HandEditedOutputError extends KontextError {
  override readonly name = 'HandEditedOutputError';
  constructor(
    readonly path: string,
    actualSha: string,
    lockSha: string | undefined,
  ) {
    const what =
      lockSha === undefined
        ? `${path} is not a file kontext wrote (the lock has no entry for it; sha256 ${short(actualSha)})`
        : `${path} was changed by hand since kontext wrote it (sha256 ${short(actualSha)} ≠ lock ${short(lockSha)})`;
    super('E_OUTPUT_CHANGED', `${what}; it was left as it is`, {
      exitCode: ExitCode.DATA_ERR,
      hint:
        'keep it by moving it elsewhere (the next run writes kontext’s own output there), ' +
        'or pass --overwrite to replace it',
    });
  }
}

export function isHandEdited(e: unknown): e is HandEditedOutputError {
  return e instanceof HandEditedOutputError;
}

export interface OutputCheck {
  /** What the node writes now (the blob's sha256), when known. */
  readonly blobSha?: string | undefined;
  /** The node's lock entry (what kontext wrote last), if any. */
  readonly locked: LockEntry | undefined;
  readonly overwrite: boolean;
  readonly hash: (path: string) => Promise<{ readonly sha256: string }>;
}

/** Where a node with this extension writes: its output, then its `save:` copy. */
export function outputTargets(outDir: string, node: PlanNode, ext: string): string[] {
  const out = [outputPathFor(outDir, node, ext)];
  if (node.save !== null) out.push(node.save.split('{ext}').join(ext));
  return out;
}

/**
 * Throws {@link HandEditedOutputError} for the first target holding bytes kontext did not put
 * there (unless `overwrite`). Returns true when some existing target must be rewritten (it
 * holds other bytes than `blobSha`), so the caller does not trust a size check.
 */
export async function checkTargets(targets: readonly string[], check: OutputCheck): Promise<boolean> {
  let rewrite = false;
  for (const path of targets) {
    const existing = await lstat(path).catch(() => null);
    if (!existing?.isFile()) continue;
    const { sha256 } = await check.hash(path);
    if (sha256 === check.blobSha) continue;
    rewrite = true;
    if (sha256 !== check.locked?.output_sha256 && !check.overwrite)
      throw new HandEditedOutputError(path, sha256, check.locked?.output_sha256);
  }
  return rewrite;
}

/**
 * `hash`, asked once per path: the hand-edit check and the copy-out check of one node look at
 * the same files, and a second look (a stat each) would tell nothing new.
 */
export function hashingOnce(hash: OutputCheck['hash']): OutputCheck['hash'] {
  const seen = new Map<string, ReturnType<OutputCheck['hash']>>();
  return (path) => {
    let got = seen.get(path);
    if (!got) {
      got = hash(path);
      seen.set(path, got);
    }
    return got;
  };
}

/**
 * Before anything runs (resolve.ts): the refusal the run will meet at this node, if any — for a
 * node that runs, at the files the lock names ({@link lockedTargets}, checked before paying); for
 * a cache hit, at the files it is copied to (`hit`). Status, `--frozen` and `--dry-run` say it
 * as the run will. Never with `--overwrite`.
 */
export async function refusalAhead(
  node: PlanNode,
  at: { readonly locked: LockEntry | undefined; readonly lockDir: string; readonly outDir: string },
  hit: { readonly sha256: string; readonly ext: string } | null,
  hash: OutputCheck['hash'],
): Promise<HandEditedOutputError | null> {
  const { locked } = at;
  const targets = hit ? outputTargets(at.outDir, node, hit.ext) : lockedTargetsIn(node, locked, at.lockDir);
  try {
    await checkTargets(targets, { blobSha: hit?.sha256, locked, overwrite: false, hash });
    return null;
  } catch (e) {
    if (isHandEdited(e)) return e;
    return null; // unreadable here: the run meets (and reports) it itself
  }
}

/** Before paying for a node: its files as the lock knows them (output path and extension). */
export function lockedTargets(node: PlanNode, locked: LockEntry | undefined, lockPath: string | null): string[] {
  return lockPath === null ? [] : lockedTargetsIn(node, locked, dirname(lockPath));
}

function lockedTargetsIn(node: PlanNode, locked: LockEntry | undefined, lockDir: string): string[] {
  if (!locked) return [];
  const output = join(lockDir, locked.output);
  const ext = output.slice(output.lastIndexOf('.') + 1);
  return node.save === null ? [output] : [output, node.save.split('{ext}').join(ext)];
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
