/**
 * The trust boundary for hosting settings. A `hosting:` block decides where local images go:
 * written in a shared recipe, it is the recipe author's choice, not the user's. Anything that
 * sends bytes somewhere other than the provider — a command (it runs on this machine), an S3
 * bucket, endpoint or public base URL — is used only when the user's own config names the same
 * destination, or the user passed `--trust-recipe-hosting` after reading it.
 * Inline hosting sends the bytes to the provider only, so it never needs trust.
 */
import type { SourceLocation } from '../errors.js';
import type { HostingConfig } from '../recipe/types.js';
import { redactUrl } from '../util/redact.js';
import { HostingError } from './errors.js';

/** The flag that trusts a recipe's hosting block (`--trust-hosting-command` is its old name). */
const TRUST_FLAG = '--trust-recipe-hosting';

type S3Config = Extract<HostingConfig, { mode: 's3' }>;

/** Whether two `command:` values are the same program and arguments. */
function sameCommand(a: string | readonly string[], b: string | readonly string[]): boolean {
  return JSON.stringify(typeof a === 'string' ? a : [...a]) === JSON.stringify(typeof b === 'string' ? b : [...b]);
}

/** The first destination field where `chosen` differs from the user's own S3 block (all of them without one). */
function differingS3Field(chosen: S3Config, user: S3Config | null): string | null {
  if (user === null) {
    if (chosen.endpoint !== undefined) return 'endpoint';
    return chosen.public_base_url === undefined ? 'bucket' : 'public_base_url';
  }
  if (chosen.bucket !== user.bucket) return 'bucket';
  if ((chosen.endpoint ?? null) !== (user.endpoint ?? null)) return 'endpoint';
  if ((chosen.public_base_url ?? null) !== (user.public_base_url ?? null)) return 'public_base_url';
  return null;
}

/**
 * The field of `chosen` that needs trust (`command`, `endpoint`, `public_base_url`, `bucket`),
 * or null when it sends bytes nowhere but the provider, or matches the user's own config.
 */
export function untrustedHostingField(chosen: HostingConfig | null, user: HostingConfig | undefined): string | null {
  switch (chosen?.mode) {
    case undefined:
    case 'inline':
      return null;
    case 'command':
      return user?.mode === 'command' && sameCommand(user.command, chosen.command) ? null : 'command';
    case 's3':
      // Same bucket on the same service with the same URLs: prefix, region and TTLs may differ.
      return differingS3Field(chosen, user?.mode === 's3' ? user : null);
    default: {
      const never: never = chosen;
      return never;
    }
  }
}

/** Why the field is refused, in words a person can check against the recipe. */
function describeField(chosen: HostingConfig, field: string): string {
  if (chosen.mode === 'command') return 'the hosting command would run on this machine';
  if (chosen.mode !== 's3') return 'the hosting block is not trusted';
  const bucket = `bucket "${chosen.bucket}"`;
  // A field the recipe leaves out differs from the user's config only by that config naming one.
  const unnamed = (what: string): string => `the recipe names no ${field}, your user config names ${what}`;
  if (field === 'endpoint')
    return chosen.endpoint === undefined
      ? `images would be uploaded to ${bucket} on AWS S3 (${unnamed('an endpoint')})`
      : `images would be uploaded to ${redactUrl(chosen.endpoint)} (${bucket})`;
  if (field === 'public_base_url')
    return chosen.public_base_url === undefined
      ? `images would be uploaded to ${bucket}, served by presigned URLs (${unnamed('one')})`
      : `images would be uploaded to ${bucket}, served from ${redactUrl(chosen.public_base_url)}`;
  return `images would be uploaded to ${bucket}, named by the recipe`;
}

export interface HostingTrustOptions {
  /** `--trust-recipe-hosting` (or `--trust-hosting-command`). */
  readonly trusted: boolean;
  /** Requests that will be made: a dry run or an all-cached run hosts nothing, so needs no trust. */
  readonly billable: number;
  /** The recipe file, as named in the message. */
  readonly recipeFile: string;
  /** Where `hosting.<field>` is written in the recipe, when it can be found: the message points there. */
  readonly locate?: ((field: string) => SourceLocation | undefined) | undefined;
  /** The user config file this process reads, as the hint names it (recipe/user-config.ts's userConfigName). */
  readonly userConfigFile?: string | undefined;
}

/**
 * Throw (exit 77) unless the chosen hosting may be used: it sends bytes only to the provider,
 * it matches the user's own config, or the user trusted the recipe. A command's text is never
 * echoed (it may carry a token); an S3 endpoint or base URL is shown without its credentials.
 */
export function checkRecipeHostingTrusted(
  chosen: HostingConfig | null,
  user: HostingConfig | undefined,
  options: HostingTrustOptions,
): void {
  if (options.trusted || options.billable === 0 || chosen === null) return;
  const field = untrustedHostingField(chosen, user);
  if (field === null) return;
  const code = field === 'command' ? 'E_HOSTING_COMMAND_UNTRUSTED' : 'E_HOSTING_UNTRUSTED';
  // A field the recipe leaves out: its hosting block (`mode:` is always written).
  const location = options.locate?.(field) ?? options.locate?.('mode');
  const userFile = options.userConfigFile;
  const why = "and kontext uses a recipe's own hosting only when you trust it";
  const what = `hosting.${field}: ${describeField(chosen, field)}, ${why}`;
  throw new HostingError(code, location ? what : `${options.recipeFile}: ${what}`, {
    hint:
      `read hosting.${field} in the recipe, then pass ${TRUST_FLAG}, ` +
      `or put the same hosting block in your user config${userFile ? ` (${userFile})` : ''}`,
    location,
  });
}
