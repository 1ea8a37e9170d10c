/**
 * The hosting contract: "give me a URL the provider can fetch for these bytes".
 * The runner hands over a local file it has already hashed; a strategy turns it into a URL.
 */
import type { Runtime } from '../runtime.js';

/** A local image to make reachable. Only files the runner hands over are ever hosted. */
export interface HostableImage {
  /** Absolute path: a recipe source, or a blob in the cache dir. */
  readonly path: string;
  /** sha256 (hex) of the file's bytes: the object name and the reuse key. */
  readonly sha256: string;
  /** File size in bytes: a hint for previews (the file is stat'ed; the sha256 decides what is sent). */
  readonly bytes: number;
}

/**
 * An image hosting has checked (guard.ts), with the media type its bytes say: `image/jpeg` for
 * a JPEG named `.png`. It labels the data URI, the S3 object (key extension, `Content-Type`)
 * and a command's `KONTEXT_MEDIA_TYPE` / `KONTEXT_EXT`; callers never name it.
 */
export interface LabelledImage extends HostableImage {
  readonly mediaType: string;
}

/** Where an image can be fetched from, and how it got there. */
export interface HostedUrl {
  /** May carry a presigned query string: never print it as-is (use `redactUrl`). */
  readonly url: string;
  /** Epoch ms after which the URL stops working; `null` when it does not expire. */
  readonly expiresAt: number | null;
  /** Whether bytes were sent this time. */
  readonly uploaded: boolean;
  readonly bytesUploaded: number;
  /**
   * A hosting command's URL, just printed: whether a GET from this machine got the image's very
   * bytes (verify-url.ts); `false`: it could not tell (no connection, a 5xx…). Absent otherwise.
   */
  readonly verified?: boolean | undefined;
  /** `cache`: a recorded URL was reused without any network call. */
  readonly via: 'inline' | 's3' | 'command' | 'cache';
}

/**
 * What {@link Hosting.urlFor} would do, for `--dry-run` / `--explain`. Worked out from the
 * URL cache alone: no network call, no command run.
 */
export interface HostingPreview {
  /**
   * `inline`: a data URI; `reuse`: a recorded URL still fresh; `rehost`: hosted before but the
   * URL expired (s3: a new presigned URL, normally no upload); `upload`: bytes will be sent
   * (s3: unless a HEAD finds the object already in the bucket).
   */
  readonly action: 'inline' | 'reuse' | 'rehost' | 'upload';
  /** Bytes that would travel: the data URI length for inline, the file size otherwise, 0 for reuse. */
  readonly bytes: number;
  /** For `reuse`: when the recorded URL expires (epoch ms, `null` = never). */
  readonly expiresAt: number | null;
  /** For `reuse`: the recorded URL, already redacted (safe to print). */
  readonly redactedUrl: string | null;
  /** One human line, e.g. `reuse hosted URL (expires in 41 min)`, `will upload 1.2 MB`. */
  readonly text: string;
}

export interface UrlForOptions {
  readonly signal?: AbortSignal | undefined;
  /** Skip the URL cache and host again (the provider said it could not fetch the image). */
  readonly forceRefresh?: boolean | undefined;
}

/** One hosting strategy, as chosen by the recipe's `hosting:` block. */
export interface Hosting {
  readonly mode: 'inline' | 's3' | 'command';
  urlFor(image: HostableImage, options?: UrlForOptions): Promise<HostedUrl>;
  describe(image: HostableImage): Promise<HostingPreview>;
  /**
   * Drop the record of these bytes (by sha256): the API could not fetch the URL it gave, so the
   * next `urlFor` hosts them again instead of handing that URL out until it expires (walk-af 4).
   * Absent: nothing is recorded (inline).
   */
  forget?(sha256: string): Promise<void>;
  /** Release network clients. Safe to call more than once. */
  close?(): Promise<void>;
}

export interface HostingDeps {
  readonly rt: Runtime;
  /** The cache dir (`.kontext`): hosted-URL records live under `<cacheDir>/hosted/`. */
  readonly cacheDir: string;
  /** Files under this folder (or the cache dir) may be hosted; anything else is refused. */
  readonly projectRoot: string;
  /**
   * More folders whose files may be hosted: for sources the user explicitly allowed outside the
   * project root (docs/architecture.md#the-recipe). Empty by default.
   */
  readonly extraRoots?: readonly string[] | undefined;
  /**
   * Whether a hosting command or S3 hosting may give a loopback or private-network URL
   * (private-url.ts): only when the provider's API is itself on this machine or network (the
   * emulator). Default: refused.
   */
  readonly allowPrivateUrls?: boolean | undefined;
  /**
   * Told what hosting could not check but goes on with: a hosting command's URL that could not be
   * fetched from this machine (verify-url.ts). Default: not told.
   */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** S3 hosting's idle timeout (s3-client.ts), when shorter than the product's 60 s: tests that check it fires. */
  readonly s3IdleTimeoutMs?: number | undefined;
}
