/**
 * Nothing the user changed is destroyed. Before an output or `save:` copy is written, the file
 * already at that path is checked against the lock:
 * - missing: written (restored silently);
 * - holding the bytes about to be written: nothing to do;
 * - holding the lock's `output_sha256` for the node, or the cache's output for the node's key
 *   (`known`: a forced node's earlier result), or bytes kontext itself wrote at that path
 *   (`wroteHere`, store/written.ts: the lock was changed under the outputs, e.g. a `git checkout`
 *   of another branch with `out/` ignored), or a result the cache records for this very node
 *   (`recorded`: an older kontext that wrote no markers wrote it there): kontext wrote it, so
 *   kontext may replace it (its writes are atomic: a file kontext wrote half-way never exists);
 * - anything else — changed by hand since kontext wrote it, or a file kontext never wrote (no
 *   lock entry: a teammate's file, an old file at that name) — is left as it is and the node
 *   fails (exit 65; the other nodes go on), unless the run has `--overwrite`.
 * `kontext edit` has no lock to record what it replaced: every file at its output path but the
 * very bytes it writes is refused there, kontext's own included (`lockless`).
 * Every node is checked before it is submitted too ({@link targetsBeforeSubmit}), so a refusal
 * costs nothing; resolve.ts predicts the same refusal ({@link refusalAhead}) for status,
 * `--frozen` and `--dry-run`.
 */
import { saveCopyPath } from '../util/save-template.js';
import { extname, join, resolve } from 'node:path';
import { lstatSync } from 'node:fs';
import { ExitCode, KontextError } from '../errors.js';
import { expectedOutputFormat, extensionOf } from '../models/output-format.js';
import { isProviderName, lookupModel } from '../models/registry.js';
import { outputPathFor } from '../plan/index.js';
import type { PlanNode } from '../plan/types.js';
import type { LockEntry, Store } from '../store/types.js';
import { providerOf } from './node-provider.js';
import { type LfsPointer, lfsPointerAt } from '../util/lfs-pointer.js';

/**
 * What a git LFS pointer at a target stands for (util/lfs-pointer.ts): `current` when its oid is
 * the lock's output for the very request the node would pay for (the image is in git LFS: the
 * run never pays for it again, `--overwrite` or not), else other bytes (refused as a hand edit).
 */
export interface LfsRefusal {
  readonly pointer: LfsPointer;
  readonly current: boolean;
}

/** An output changed by hand (or never written by kontext) that a run would overwrite. */
export class HandEditedOutputError extends KontextError {
  override readonly name = 'HandEditedOutputError';
  constructor(
    readonly path: string,
    actualSha: string,
    lockSha: string | undefined,
    /** No lock at all (`kontext edit`): the file is merely there, whoever wrote it. */
    lockless = false,
    /** The file is a git LFS pointer. */
    readonly lfs: LfsRefusal | null = null,
    /** Met after its request was paid: how the result is got without a new one ({@link OutputCheck.paid}). */
    paid?: string,
  ) {
    super('E_OUTPUT_CHANGED', refusalWhat(path, actualSha, lockSha, lockless, lfs), {
      exitCode: ExitCode.DATA_ERR,
      hint: paid === undefined ? refusalHint(lockless, lfs) : `${paidRefusalHint(lockless, lfs)}; ${paid}`,
    });
  }
}

function refusalWhat(
  path: string,
  actualSha: string,
  lockSha: string | undefined,
  lockless: boolean,
  lfs: LfsRefusal | null,
): string {
  const oid = lfs === null ? '' : short(lfs.pointer.oid);
  if (lfs?.current === true)
    return `${path} is a git LFS pointer, not the image: the lock's output (${oid}) is in no cache; nothing was paid`;
  if (lfs !== null) {
    const lock = lockSha === undefined ? '' : `, the lock says ${short(lockSha)}`;
    return `${path} is a git LFS pointer (to sha256 ${oid}${lock}); it was left as it is`;
  }
  return `${handEditWhat(path, actualSha, lockSha, lockless)}; it was left as it is`;
}

function refusalHint(lockless: boolean, lfs: LfsRefusal | null): string {
  if (lfs?.current === true)
    return 'run "git lfs pull", then run again; kontext does not pay again for an image git LFS holds';
  if (lfs !== null) return 'run "git lfs pull", or pass --overwrite to replace it';
  return lockless
    ? 'pass another -o, or --overwrite to replace it'
    : 'keep it by moving it elsewhere (the next run writes kontext’s own output there), ' +
        'or pass --overwrite to replace it';
}

/** An edit's refusal once paid: another -o (another name) would pay again, so the file is moved or replaced. */
function paidRefusalHint(lockless: boolean, lfs: LfsRefusal | null): string {
  return lockless && lfs === null ? 'move it away, or pass --overwrite to replace it' : refusalHint(lockless, lfs);
}

function handEditWhat(path: string, actualSha: string, lockSha: string | undefined, lockless: boolean): string {
  if (lockless) return `${path} already exists (sha256 ${short(actualSha)})`;
  if (lockSha === undefined)
    return `${path} is not a file kontext wrote (the lock has no entry for it; sha256 ${short(actualSha)})`;
  return `${path} was changed by hand since kontext wrote it (sha256 ${short(actualSha)} ≠ lock ${short(lockSha)})`;
}

export function isHandEdited(e: unknown): e is HandEditedOutputError {
  return e instanceof HandEditedOutputError;
}

export interface OutputCheck {
  /** What the node writes now (the blob's sha256), when known. */
  readonly blobSha?: string | undefined;
  /** The node's lock entry (what kontext wrote last), if any. */
  readonly locked: LockEntry | undefined;
  /**
   * Before a submit (no `blobSha`), unforced: the request's cache key. A git LFS pointer to the
   * lock's output of this very key stops the node, `--overwrite` or not: the image is in git LFS.
   */
  readonly key?: string | undefined;
  /** Other bytes kontext made for this node, which it may replace ({@link knownOutputs}). */
  readonly known?: readonly string[] | undefined;
  /** Whether kontext itself wrote these bytes at this path (store/written.ts). */
  readonly wroteHere?: ((path: string, sha256: string) => boolean) | undefined;
  /** Whether the cache records these bytes as a result of this very node (store/written-records.ts). */
  readonly recorded?: ((sha256: string) => Promise<boolean>) | undefined;
  readonly overwrite: boolean;
  readonly hash: (path: string) => Promise<{ readonly sha256: string }>;
  /** No lock at all (`kontext edit`): any file there is refused, whoever wrote it; said so in the refusal. */
  readonly lockless?: boolean | undefined;
  /**
   * After the request was paid, when the refusal's hint must say how the result is got without a
   * new request (a one-off edit's: `RunDeps.paidHint`); a recipe's lock keeps its seed, and says none.
   */
  readonly paid?: string | undefined;
}

/** What a node's files are checked against, by the caller (the rest is the store's and the run's). */
export type CheckAgainst = Pick<OutputCheck, 'blobSha' | 'known' | 'key' | 'paid'>;

/** The store's side of the check: its hash memo, and the bytes kontext wrote at each path (written.ts). */
export function storeCheck(
  store: Pick<Store, 'hashSource' | 'written'>,
  node: string,
): Required<StoreCheck> & { byRecord(): boolean } {
  // Whether a file was let through only as a result the cache records for the node: one another run
  // may have landed since the plan, whose record is then the node's cache hit (scheduler.ts).
  let byRecord = false;
  return {
    hash: (p) => store.hashSource(p),
    wroteHere: (p, sha) => store.written.has(p, sha),
    recorded: async (sha) => {
      const yes = await store.written.recorded(node, sha);
      byRecord ||= yes;
      return yes;
    },
    byRecord: () => byRecord,
  };
}

type StoreCheck = Pick<OutputCheck, 'hash' | 'wroteHere' | 'recorded'>;

/**
 * A refusal before a submit of a node planned without a record (`store`; null: none to look in):
 * the file in the way may be another run's result of this very key (a `--shard` run of the same
 * recipe, another recipe sharing the cache), written between the plan and this check. Its record,
 * then, is the node's result, a cache hit (whose copy-out checks the file against its blob);
 * anything else rethrows `e`.
 */
export async function landedMeanwhile(e: unknown, store: Pick<Store, 'getRecord'> | null, key: string) {
  const record = store !== null && isHandEdited(e) ? await store.getRecord(key) : null;
  if (record === null) throw e;
  return record;
}

/** Where a node with this extension writes: its output, then its `save:` copy. */
export function outputTargets(outDir: string, node: PlanNode, ext: string): string[] {
  const out = [outputPathFor(outDir, node, ext)];
  const saved = saveCopyPath(node.save, ext);
  if (saved !== null) out.push(saved);
  return out;
}

/**
 * Throws {@link HandEditedOutputError} for the first target holding bytes kontext did not put
 * there (unless `overwrite`). Returns true when some existing target must be rewritten (it
 * holds other bytes than `blobSha`), so the caller does not trust a size check. A git LFS
 * pointer counts as the bytes it stands for (its oid): one to kontext's own output is replaced
 * by them, as `git lfs pull` would; before a submit, one to the lock's output of this very
 * request stops the node ({@link LfsRefusal}).
 */
export async function checkTargets(targets: readonly string[], check: OutputCheck): Promise<boolean> {
  let rewrite = false;
  for (const path of targets) {
    if (!isFileAt(path)) continue;
    const { sha256 } = await check.hash(path);
    if (sha256 === check.blobSha) continue;
    rewrite = true;
    const pointer = lfsPointerAt(path);
    const stands = pointer?.oid ?? sha256;
    const { locked } = check;
    // Before a submit: the result this very request would pay for is in git LFS (LfsRefusal).
    const inLfs = check.blobSha === undefined && check.key !== undefined && check.key === locked?.key;
    if (pointer !== null && inLfs && pointer.oid === locked.output_sha256)
      throw new HandEditedOutputError(path, sha256, locked.output_sha256, false, { pointer, current: true });
    if (check.overwrite || stands === check.blobSha) continue;
    if (stands === locked?.output_sha256 || check.known?.includes(stands) === true) continue;
    // No lock (`kontext edit`): any file there is refused, kontext's own included (an earlier edit's
    // result, a recipe's output): nothing would record what it replaced.
    if (check.lockless !== true && check.wroteHere?.(path, sha256) === true) continue;
    if (check.lockless !== true && (await check.recorded?.(stands)) === true) continue;
    const lfs = pointer && { pointer, current: false };
    throw new HandEditedOutputError(path, sha256, locked?.output_sha256, check.lockless === true, lfs, check.paid);
  }
  return rewrite;
}

/**
 * Synchronous: checked before every submit, where nothing is there (a new node) is the common case,
 * and a thread-pool round trip per node would let `-j 1` submit out of plan order.
 */
function isFileAt(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
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

/** Where the run writes: the lock's folder (its entries' paths are relative to it) and the out folder. */
export interface TargetDirs {
  readonly lockDir: string;
  readonly outDir: string;
}

/**
 * Before anything runs (resolve.ts): the refusal the run will meet at this node, if any — for a
 * node that runs, at the files it checks before paying ({@link targetsBeforeSubmit}); for a cache
 * hit, at the files it is copied to (`hit`). Status, `--frozen` and `--dry-run` say it as the run
 * will. Never with `--overwrite`, but for a git LFS pointer to this very request's result
 * (`at.key`: the node's key when it is not forced; {@link LfsRefusal}).
 */
export async function refusalAhead(
  node: PlanNode,
  at: TargetDirs & {
    readonly locked: LockEntry | undefined;
    readonly providerName: string;
    readonly key?: string | undefined;
  },
  hit: { readonly sha256: string; readonly ext: string } | null,
  known: readonly string[],
  check: StoreCheck,
): Promise<HandEditedOutputError | null> {
  const { locked } = at;
  const targets = hit
    ? outputTargets(at.outDir, node, hit.ext)
    : targetsBeforeSubmit(node, locked, at, at.providerName);
  try {
    await checkTargets(targets, { ...check, blobSha: hit?.sha256, key: at.key, locked, known, overwrite: false });
    return null;
  } catch (e) {
    if (isHandEdited(e)) return e;
    return null; // unreadable here: the run meets (and reports) it itself
  }
}

/**
 * Before paying for a node: the files the lock names (its output path and extension), and the
 * files the result will be written to, by the format the request asks for ({@link expectedExtension});
 * none without a lock (`kontext edit`: `dirs` null).
 */
export function targetsBeforeSubmit(
  node: PlanNode,
  locked: LockEntry | undefined,
  dirs: TargetDirs | null,
  providerName: string,
): string[] {
  if (dirs === null) return [];
  const all = [
    ...lockedTargets(node, locked, dirs.lockDir),
    ...outputTargets(dirs.outDir, node, expectedExtension(node, providerName, locked)),
  ];
  return [...new Set(all.map((p) => resolve(p)))];
}

/**
 * The extension a node's result will have, by what its request asks for: its `output_format`
 * param, else the model's default (models/output-format.ts); when neither says (RunComfy's
 * Kontext names no default), what the API answered last time (the lock's output), else `png`
 * (outputs.ts's fallback; the emulator answers PNG). An API that returns another
 * format has its result saved under that format's extension (the bytes decide, outputs.ts): a
 * file kontext did not write at that other name is then refused only at the write, after the
 * request was paid (the result stays in the cache; the run warns of the format mismatch).
 */
function expectedExtension(node: PlanNode, providerName: string, locked: LockEntry | undefined): string {
  return requestedExtension(providerOf(node, providerName), node.model, node.params, locked);
}

/** {@link expectedExtension} of a request by its provider, model and params (`kontext edit`'s too). */
export function requestedExtension(
  provider: string,
  model: string,
  params: PlanNode['params'],
  locked: LockEntry | undefined,
): string {
  const entry = isProviderName(provider) ? lookupModel(provider, model) : undefined;
  const format = expectedOutputFormat(entry, params);
  if (format !== null) return extensionOf(format);
  return locked ? extname(locked.output).slice(1) || 'png' : 'png';
}

/**
 * Bytes kontext made for this very request, which are no stranger's at its paths: the cache's
 * output for the node's key (`prior`: the record a forced node runs again, or a cached result
 * found damaged), as resolve and the scheduler both read it.
 */
export function knownOutputs(prior: { readonly output_sha256: string } | null | undefined): string[] {
  return prior ? [prior.output_sha256] : [];
}

/** The files the lock names for a node: its output, and its `save:` copy by that output's extension. */
export function lockedTargets(node: PlanNode, locked: LockEntry | undefined, lockDir: string): string[] {
  if (!locked) return [];
  const output = join(lockDir, locked.output);
  const saved = saveCopyPath(node.save, extname(output).slice(1));
  return saved === null ? [output] : [output, saved];
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
