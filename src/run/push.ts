/**
 * `kontext push <recipe>` (docs/architecture.md#remote-cache): send the results a run would take
 * as up to date to the remote cache. A run uploads only what it pays for, so results paid before
 * the team set a remote up, on a `--no-remote` run, or under a remote used read-only stay on the
 * machine that paid for them, and every other machine (a CI runner without `out/`) pays again.
 *
 * What is sent is what a run here would not pay for: a node the local cache holds, or whose lock
 * entry and output file prove it (adopted into the local cache first, adopt.ts). Each goes as a
 * run's upload goes (upload.ts: blob, then record; HEAD before PUT; the blob read once, hashed
 * against its name and required to be an image; the record from an allow-list of fields).
 * Unlike a run, the command is about the remote, so a remote that fails fails it: none
 * configured is exit 64, uploads refused (read-only keys, a recipe's remote not trusted) 77, a
 * remote that is not usable 75 (try again: what was sent stays sent).
 */
import { basename, dirname } from 'node:path';
import { checkProvider } from './option-checks.js';
import pLimit from 'p-limit';
import { ExitCode, InterruptedError, KontextError } from '../errors.js';
import { loadRecipe, loadUserConfig } from '../recipe/index.js';
import type { ProviderName, Recipe } from '../recipe/types.js';
import { chooseRemote, type RemoteChoice } from '../remote/choose.js';
import { RemoteCacheError } from '../remote/errors.js';
import type { RemoteBucket } from '../remote/bucket.js';
import type { Fetch } from '../remote/fetch.js';
import { peekRemote } from '../remote/peek.js';
import { PendingUploads } from '../remote/pending.js';
import { uploadResult } from '../remote/upload.js';
import type { Runtime } from '../runtime.js';
import type { Store } from '../store/types.js';
import { cacheDirFor } from './context.js';
import { type LocalResults, localResults } from './local-results.js';
import { openStoreOrStandIn } from './open-cache.js';
import { lockPathFor } from './run-recipe.js';
import { statusDetail } from './status.js';

/** Uploads at once: each is a HEAD or two and up to two PUTs. */
const PUSH_CONCURRENCY = 8;

export interface PushOptions {
  readonly cacheDir?: string | undefined;
  readonly provider?: ProviderName | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** `--trust-recipe-hosting`: upload to a remote the recipe names (else it is refused, exit 77). */
  readonly trustRecipe?: boolean | undefined;
  /**
   * Ask the remote what it lacks (a HEAD per result); send nothing. What the lock proves is still
   * adopted into the local cache, as `status` does.
   */
  readonly dryRun?: boolean | undefined;
}

export interface PushDeps {
  readonly rt: Runtime;
  /** Ctrl-C: stop sending (what was sent stays sent), exit 130. */
  readonly signal?: AbortSignal | undefined;
}

export interface PushReport {
  readonly recipe: string;
  /** `s3://bucket/prefix` */
  readonly remote: string;
  readonly dryRun: boolean;
  /** Node ids whose result was sent (a dry run: would be). */
  readonly pushed: readonly string[];
  /** Node ids whose result the remote already holds. */
  readonly present: readonly string[];
  /** Up to date here but not sent, and why (an old record, a damaged blob, a file that is not an image). */
  readonly unfit: readonly { readonly node: string; readonly why: string }[];
  /** Node ids a run here would pay for, re-attach to or download: nothing local to send. */
  readonly notLocal: readonly string[];
}

export async function pushRecipe(path: string, options: PushOptions, deps: PushDeps): Promise<PushReport> {
  checkProvider(options.provider); // as runRecipe: a name --provider would refuse is a usage error
  const { rt } = deps;
  const recipe = await loadRecipe(path, { rt, strict: false, allowOutsideRoot: options.allowOutsideRoot ?? false });
  const choice = await pushTarget(recipe, options, rt);
  const opened = await openStoreOrStandIn(cacheDirFor(recipe, options.cacheDir, rt));
  try {
    const detail = await statusDetail(opened.store, { recipe, options, rt });
    const lockDir = dirname(lockPathFor(recipe));
    const results = await localResults(detail.plan.nodes, detail.states, detail.lock, lockDir, opened.store, options);
    const sent = await send(results.byKey, choice, opened.store, options.dryRun === true, deps);
    return {
      recipe: recipe.file,
      remote: choice.location.url,
      dryRun: options.dryRun === true,
      pushed: sent.pushed,
      present: sent.present,
      unfit: [...results.unfit, ...sent.unfit],
      notLocal: results.notLocal,
    };
  } finally {
    await opened.discard();
  }
}

/** The remote a run of `recipe` would use, if it may be written to (see remote/choose.ts). */
async function pushTarget(recipe: Recipe, options: PushOptions, rt: Runtime): Promise<RemoteChoice> {
  const envRemote = (rt.env['KONTEXT_REMOTE_CACHE'] ?? '').trim() !== '';
  const user = envRemote ? undefined : (await loadUserConfig(rt)).cache?.remote;
  const choice = chooseRemote({
    env: rt.env,
    recipe: recipe.remote,
    user,
    trustRecipe: options.trustRecipe === true,
    recipeFile: basename(recipe.file),
  });
  if (choice === null)
    throw new KontextError('E_NO_REMOTE', 'push: no remote cache is set up, so there is nowhere to push to', {
      exitCode: ExitCode.USAGE,
      hint: 'set KONTEXT_REMOTE_CACHE=s3://bucket/prefix, or cache: { remote: … } in the user config',
    });
  if (!choice.upload)
    throw new KontextError(
      'E_PUSH_UNTRUSTED',
      `push: remote cache ${choice.location.url} is named by ${basename(recipe.file)}, which may not choose ` +
        'where your results go',
      {
        exitCode: ExitCode.NO_PERM,
        hint: 'name the same bucket in your user config or KONTEXT_REMOTE_CACHE, or pass --trust-recipe-hosting',
      },
    );
  return choice;
}

interface Sent {
  readonly pushed: string[];
  readonly present: string[];
  readonly unfit: { node: string; why: string }[];
}

/** Upload each result the remote does not hold (dry: say which); the first remote failure stops the rest. */
async function send(
  byKey: LocalResults['byKey'],
  choice: RemoteChoice,
  store: Store,
  dry: boolean,
  deps: PushDeps,
): Promise<Sent> {
  const sent: Sent = { pushed: [], present: [], unfit: [] };
  if (byKey.size === 0) return sent;
  const { openBucket } = await import('../remote/bucket.js');
  const bucket = openBucket(choice.location, deps.rt.env, {}, deps.rt.now);
  const notes = new PendingUploads(choice.location.url);
  // Uploads a run left noted for THIS remote: cleared once sent; one whose remote record a run
  // refused (`replace`) is written over it, as that run's next upload would (remote-cache.ts).
  const due = new Map((await notes.list(store)).map((n) => [n.key, n.replace]));
  const limit = pLimit(PUSH_CONCURRENCY);
  let failure: RemoteCacheError | null = null;
  try {
    await Promise.all(
      [...byKey].map(([key, { record, nodes }]) =>
        limit(async () => {
          if (failure !== null || deps.signal?.aborted) return;
          try {
            // Present only when a run would take it: record checked and its blob there (walk-v 2: a
            // record whose blob was gone counted as present, so push never put it right).
            const there = due.get(key) === true ? 'rejected' : await held(bucket, key, store, deps.signal);
            if (there === 'hit') {
              sent.present.push(...nodes);
              if (!dry && due.has(key)) await notes.clear(store, key);
              return;
            }
            if (dry) {
              sent.pushed.push(...nodes);
              return;
            }
            const replace = there === 'rejected';
            // Its record known missing: not asked for again (review-ac 8).
            const recordAbsent = there === 'miss';
            const done = await uploadResult(bucket, record, store, { replace, recordAbsent, signal: deps.signal });
            if (done.why !== undefined) sent.unfit.push(...nodes.map((node) => ({ node, why: done.why as string })));
            else {
              (done.sent ? sent.pushed : sent.present).push(...nodes);
              if (due.has(key)) await notes.clear(store, key);
            }
          } catch (e) {
            if (deps.signal?.aborted) return;
            if (e instanceof RemoteCacheError) failure ??= e;
            else sent.unfit.push(...nodes.map((node) => ({ node, why: messageOf(e) })));
          }
        }),
      ),
    );
  } finally {
    bucket.close();
  }
  if (deps.signal?.aborted) throw new InterruptedError(`push interrupted: ${sent.pushed.length} results sent`);
  if (failure !== null) throw pushFailure(failure, choice.location.url, sent.pushed.length);
  return sent;
}

/**
 * What a run would make of the remote's result for `key` (peek.ts, the blob asked for even when
 * this machine has it): taken, none, or refused (a record it would not read included) and so to
 * be written over.
 */
async function held(
  bucket: RemoteBucket,
  key: string,
  store: Store,
  signal: AbortSignal | undefined,
): Promise<Fetch['kind']> {
  try {
    return (await peekRemote(bucket, key, store, signal, true)).kind;
  } catch (e) {
    if (e instanceof RemoteCacheError && e.kind === 'refused') return 'rejected';
    // Keys that may write but not read (a CI uploader's): not known to be there, so sent, as a
    // denied HEAD always counted (review-ac 2: exit 77 said they could not write).
    if (e instanceof RemoteCacheError && e.kind === 'denied' && !signal?.aborted) return 'miss';
    throw e;
  }
}

function pushFailure(e: RemoteCacheError, url: string, pushed: number): KontextError {
  const sentSoFar = `${pushed} result${pushed === 1 ? '' : 's'} sent before it`;
  if (e.kind === 'denied' || e.kind === 'credentials')
    return new KontextError(
      'E_PUSH_DENIED',
      `push: remote cache ${url} refused the upload (${e.message}); ${sentSoFar}`,
      {
        exitCode: ExitCode.NO_PERM,
        hint:
          e.kind === 'credentials'
            ? 'the S3 credentials are missing or invalid (AWS_ACCESS_KEY_ID, AWS_PROFILE, …)'
            : 'push needs credentials that may write (s3:PutObject) to the bucket',
      },
    );
  return new KontextError(
    'E_PUSH_UNAVAILABLE',
    `push: remote cache ${url} is not usable (${e.message}); ${sentSoFar}`,
    {
      exitCode: ExitCode.TEMP_FAIL,
      hint: 'push again later: what was sent is not sent twice',
    },
  );
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
