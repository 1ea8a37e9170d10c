/**
 * The S3 calls the remote cache makes, on any S3-compatible service: GET (bounded in size and
 * pace, into memory or streamed to a file and hashed on the way), HEAD and PUT, sent by s3-http.ts. The endpoint
 * comes from the SDK's standard `AWS_ENDPOINT_URL_S3` (else `AWS_ENDPOINT_URL`), read from the
 * runtime's environment; a custom endpoint is addressed path-style (MinIO, R2 and most others
 * need it). Credentials are `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`(/`AWS_SESSION_TOKEN`)
 * when set; otherwise the AWS SDK loads (on the first request) for its standard chain
 * (hosting/s3-client.ts: profiles, SSO, roles) and the region of the profile. Never from a recipe.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMissing, RemoteCacheError, remoteError } from './errors.js';
import type { RemoteLocation } from './location.js';
import { AwakeClock } from '../util/awake-clock.js';
import { proxySettingsOf } from '../util/proxy.js';
import { openS3Http, type S3Http, type S3Timeouts } from './s3-http.js';
import { awsSecretsIn } from '../util/env-secrets.js';
import { resolveTarget } from './s3-target.js';
import type { Credentials } from './sigv4.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A downloaded object: its sha256, size and first bytes (to tell what kind of file it is). */
interface Fetched {
  readonly sha256: string;
  readonly bytes: number;
  readonly head: Buffer;
  /** The whole object, when it was small enough to be read into memory first ({@link IN_MEMORY_BYTES}). */
  readonly data?: Buffer | undefined;
}

export interface RemoteBucket {
  readonly location: RemoteLocation;
  /** The object's bytes, or `null` when there is none; more than `max` bytes is an error. */
  read(key: string, max: number, signal?: AbortSignal): Promise<Buffer | null>;
  /** Stream the object to `path` (created), hashing it; `null` when there is none. */
  download(key: string, path: string, max: number, signal?: AbortSignal): Promise<Fetched | null>;
  /**
   * Whether the object exists; a 403 (no s3:ListBucket) counts as "not known to exist". With
   * `bytes`, one whose length is said and differs counts as missing too: a PUT cut off by a
   * kill -9 may leave part of an object on a server that is not atomic about it (s3rver), and a
   * blob taken for there would have its record uploaded over it.
   */
  exists(key: string, signal?: AbortSignal, bytes?: number): Promise<boolean>;
  write(key: string, body: Buffer, contentType: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** Content-addressed objects never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Past the grace, a body must have come at this average rate since its request: undici's
 * timeouts are per chunk, so a server trickling a byte now and then would hold the run (and
 * each of its look-ups) without end. A trickle is the remote unusable, not a miss.
 */
const MIN_BYTES_PER_S = 16 * 1024;
const SLOW_GRACE_MS = 10_000;
const PACE_CHECK_MS = 1000;

/**
 * The time bounds of a bucket, each the product's own unless given: tests that check a bound
 * fires pass a shorter one instead of waiting it out (`RunRecipeDeps.remoteBounds`).
 */
export interface RemoteBounds {
  /** Past this, a body must have averaged 16 KiB/s since its request (default 10 s). */
  readonly slowGraceMs?: number | undefined;
  /** s3-http.ts's timeouts; an error's (or a PUT's) reply body is read for `readHeadersMs`. */
  readonly timeouts?: Partial<S3Timeouts> | undefined;
}

/**
 * An object that announces at most this many bytes is read into memory and written with one
 * call, instead of streamed through a pipeline to the file: a write stream and a pipeline cost
 * more CPU than a small blob's bytes, and the caller can check the image in memory without
 * reading the file back. Look-ups are bounded (32 at once), so at most 32 MiB is held.
 */
const IN_MEMORY_BYTES = 1024 * 1024;

/**
 * A body cut off on the way (a reset, a proxy closing the connection) is the whole GET sent again,
 * as s3-http.ts sends a call again whose headers did not come: one dropped connection turned the
 * remote off for the run, and every result was paid again (walk-v 1).
 */
const BODY_ATTEMPTS = 3;
const BODY_RETRY_MS = 100;

/** The calls of the file a download writes: a failure of one is the local disk's, not a cut. */
const FILE_CALLS = new Set(['open', 'write', 'writev', 'close', 'fsync', 'fdatasync']);

/** The network failed while a body was read: worth one more GET. */
class BodyCut extends Error {
  constructor(readonly failure: unknown) {
    super('body cut off');
  }
}

function checkPace(clock: AwakeClock, bytes: number, url: string, graceMs: number): void {
  // The time the process ran: one stopped or asleep mid-body would else find it "too slow" on
  // waking, lose the remote for the run, and pay for results it holds.
  const elapsed = clock.elapsed();
  const late = elapsed - graceMs;
  if (late > 0 && bytes < (late / 1000) * MIN_BYTES_PER_S)
    throw new RemoteCacheError(
      'unavailable',
      `${url} arrives too slowly (${bytes} bytes in ${Math.round(elapsed / 1000)} s)`,
    );
}

/**
 * The pace checked once a second as well: a body that stops coming altogether (headers sent,
 * then nothing) never reaches the per-chunk check, and would hold the call for undici's 60 s
 * body timeout. It is cut off with the same error; returns the stop.
 */
function watchPace(body: Readable, clock: AwakeClock, url: string, bytes: () => number, graceMs: number): () => void {
  // The wait for the reply's head counts as awake (its own timeouts bound it).
  clock.watchFromNow();
  const timer = setInterval(() => {
    try {
      checkPace(clock, bytes(), url, graceMs);
    } catch (e) {
      body.destroy(e as Error);
    }
  }, PACE_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** `now`: the clock requests are signed with (the runtime's; s3-http.ts corrects it by the server's). */
export function openBucket(
  location: RemoteLocation,
  env: Env,
  bounds: RemoteBounds = {},
  now: () => number = Date.now,
): RemoteBucket {
  // A proxy variable that is not an http(s) URL: the usage error it is (exit 64), now, not a
  // failed remote read later ("push again later").
  proxySettingsOf(env);
  const graceMs = bounds.slowGraceMs ?? SLOW_GRACE_MS;
  let opened: Promise<{ readonly http: S3Http; readonly close: () => void }> | null = null;
  /** Scrubbed from messages: the keys in `env`, and those an SDK chain (a profile, a role) resolves. */
  const secrets = awsSecretsIn(env);
  const remember = (c: Credentials): Credentials => {
    for (const v of [c.secretAccessKey, c.sessionToken, c.accessKeyId])
      if (v !== undefined && v !== '' && !secrets.includes(v)) secrets.push(v);
    return c;
  };
  /** Opened on the first call, so that an SDK chain that fails is a failed call, not a failed run. */
  const client = async (): Promise<S3Http> => {
    opened ??= resolveTarget(location, env).then(({ target, close }) => {
      const http = openS3Http(
        { ...target, credentials: async () => remember(await target.credentials()) },
        bounds.timeouts,
        env,
        now,
      );
      return { http, close: () => void http.close().finally(close) };
    });
    return (await opened).http;
  };
  const Bucket = location.bucket;
  const fail = (e: unknown, what: string, signal?: AbortSignal): never => {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof RemoteCacheError) throw e;
    throw remoteError(e, what, secrets);
  };
  const get = async (
    key: string,
    max: number,
    signal?: AbortSignal,
  ): Promise<{ readonly body: Readable; readonly length: number | undefined } | null> => {
    try {
      const out = await (await client()).get(key, signal);
      if (out === null) return null;
      if (out.length !== undefined && out.length > max) {
        out.body.destroy();
        throw new RemoteCacheError('refused', `s3://${Bucket}/${key} is ${out.length} bytes (cap ${max})`);
      }
      return out;
    } catch (e) {
      if (isMissing(e)) return null;
      return fail(e, 'read', signal);
    }
  };
  /** The whole body, at most `max` bytes, arriving at a living pace. */
  const readAll = async (
    body: Readable,
    key: string,
    max: number,
    clock: AwakeClock,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stopWatch = watchPace(body, clock, `s3://${Bucket}/${key}`, () => size, graceMs);
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > max) throw new RemoteCacheError('refused', `s3://${Bucket}/${key} exceeds ${max} bytes`);
        checkPace(clock, size, `s3://${Bucket}/${key}`, graceMs);
        chunks.push(chunk);
      }
    } catch (e) {
      body.destroy();
      return cutOrFail(e, signal);
    } finally {
      stopWatch();
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  };
  /**
   * Our own refusals (too large, too slow), Ctrl-C and the local file's failure (`local`: a call of
   * its write stream failed, a full disk; Node's write errors name no path: review-ac 4) stand; any
   * other failure while the body came is a cut.
   */
  const cutOrFail = (e: unknown, signal: AbortSignal | undefined, local = false): never => {
    if (signal?.aborted || e instanceof RemoteCacheError || local) return fail(e, 'read', signal);
    throw new BodyCut(e);
  };
  /** `fetch` again on a cut body, at most {@link BODY_ATTEMPTS} in all; then the failure as any other. */
  const again = async <T>(signal: AbortSignal | undefined, fetch: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch();
      } catch (e) {
        if (!(e instanceof BodyCut)) throw e;
        if (attempt >= BODY_ATTEMPTS) return fail(e.failure, 'read', signal);
        await sleep(BODY_RETRY_MS * attempt, undefined, signal ? { signal } : undefined).catch(() => undefined);
        if (signal?.aborted) throw signal.reason;
      }
    }
  };
  /** One GET of `key` into the new file `path` (removed again when it fails). */
  const downloadOnce = async (
    key: string,
    path: string,
    max: number,
    signal: AbortSignal | undefined,
  ): Promise<Fetched | null> => {
    const clock = new AwakeClock(PACE_CHECK_MS);
    const got = await get(key, max, signal);
    if (got === null) return null;
    const { body, length } = got;
    if (length !== undefined && length <= IN_MEMORY_BYTES) {
      const data = await readAll(body, key, Math.min(max, length), clock, signal);
      try {
        await writeFile(path, data, { flag: 'wx' });
      } catch (e) {
        await rm(path, { force: true });
        return fail(e, 'read', signal);
      }
      const sha256 = createHash('sha256').update(data).digest('hex');
      return { sha256, bytes: data.length, head: data.subarray(0, 64), data };
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const heads: Buffer[] = [];
    async function* tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        bytes += chunk.length;
        if (bytes > max) throw new RemoteCacheError('refused', `s3://${Bucket}/${key} exceeds ${max} bytes`);
        checkPace(clock, bytes, `s3://${Bucket}/${key}`, graceMs);
        if (bytes - chunk.length < 64) heads.push(chunk);
        hash.update(chunk);
        yield chunk;
      }
    }
    const stopWatch = watchPace(body, clock, `s3://${Bucket}/${key}`, () => bytes, graceMs);
    try {
      await pipeline(body, tap, createWriteStream(path, { flags: 'wx' }), { signal });
    } catch (e) {
      await rm(path, { force: true });
      return cutOrFail(e, signal, FILE_CALLS.has(String((e as { syscall?: unknown } | null)?.syscall)));
    } finally {
      stopWatch();
    }
    return { sha256: hash.digest('hex'), bytes, head: Buffer.concat(heads).subarray(0, 64) };
  };
  return {
    location,
    read: (key, max, signal) =>
      again(signal, async () => {
        const clock = new AwakeClock(PACE_CHECK_MS);
        const got = await get(key, max, signal);
        return got === null ? null : readAll(got.body, key, max, clock, signal);
      }),
    download: (key, path, max, signal) => again(signal, () => downloadOnce(key, path, max, signal)),
    async exists(key, signal, bytes) {
      try {
        const head = await (await client()).head(key, signal);
        return head !== null && (bytes === undefined || head.length === undefined || head.length === bytes);
      } catch (e) {
        if (isMissing(e)) return false;
        const err = remoteError(e, 'check', secrets);
        if (err.kind === 'denied' && !signal?.aborted) return false;
        return fail(e, 'check', signal);
      }
    },
    async write(key, body, contentType, signal) {
      try {
        const headers = { 'content-type': contentType, 'cache-control': IMMUTABLE };
        await (await client()).put(key, body, headers, signal);
      } catch (e) {
        fail(e, 'write', signal);
      }
    },
    close: () => {
      void opened?.then((o) => o.close()).catch(() => undefined);
    },
  };
}
