/**
 * Host rules of the BFL and fal.ai clients. Two different questions:
 * - may an output be downloaded from this host (no key is sent): the provider's CDN patterns
 *   (BFL `delivery*.bfl.ai`, fal `*.fal.media`) over https, or `KONTEXT_ALLOW_HOSTS`;
 * - may the API key be sent to this URL the API handed us (BFL's `polling_url`, fal's
 *   `status_url`): the provider's API patterns (`api*.bfl.ai`, `*.fal.run`) over https, the
 *   configured base URL's own origin, or `KONTEXT_ALLOW_HOSTS`. Anything else is refused
 *   before a byte is sent, so a hostile reply (or journal) cannot make us leak the key.
 */
import { checkHost } from '../runcomfy/host-allow.js';
import { ProviderError } from '../runcomfy/errors.js';
import { ExitCode } from '../../errors.js';
import { redactUrl } from '../../util/redact.js';

/**
 * A host matcher from patterns where `*` stands for any run of letters, digits, `-` and `.`
 * (`api*.bfl.ai` matches `api.bfl.ai` and `api.us1.bfl.ai`; `*.fal.media` any subdomain).
 */
export function hostPatterns(patterns: readonly string[]): (host: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .toLowerCase()
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[a-z0-9.-]*')}$`,
      ),
  );
  return (host) => {
    const h = host.toLowerCase();
    return !h.includes('..') && res.some((re) => re.test(h));
  };
}

/** An API URL we will not send the key to. Exit 65: a person must decide whether to trust it. */
export class ApiHostRefusedError extends ProviderError {
  override readonly name = 'ApiHostRefusedError';
  constructor(message: string, options: { readonly hint: string; readonly secrets: readonly string[] }) {
    super('E_API_HOST_REFUSED', message, { ...options, exitCode: ExitCode.DATA_ERR });
  }
}

export interface ApiHostRule {
  /** The provider's API host patterns (https only). */
  readonly trusted: (host: string) => boolean;
  /** The configured base URL: its origin is trusted as is (a test's emulator, a proxy the user chose). */
  readonly baseUrl: string;
  readonly allowHosts: readonly string[];
  readonly label: string;
  readonly patterns: string;
  readonly secrets: readonly string[];
}

/** Throw {@link ApiHostRefusedError} unless the key may be sent to `url`. */
export function assertApiUrl(url: string, rule: ApiHostRule, what: string): void {
  let origin: string | undefined;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = undefined;
  }
  if (origin !== undefined && origin === new URL(rule.baseUrl).origin) return;
  const verdict = checkHost(url, rule.allowHosts, rule.trusted);
  if (verdict.ok) return;
  const where = verdict.byHost ? `on host "${verdict.host}" ` : '';
  throw new ApiHostRefusedError(
    `${rule.label} returned a ${what} ${where}(${redactUrl(url)}): ${verdict.reason}; the API key is not sent there`,
    {
      hint: verdict.byHost
        ? `only ${rule.patterns} (https) or hosts in KONTEXT_ALLOW_HOSTS are trusted with the key`
        : `only http(s) URLs without credentials, on ${rule.patterns} or hosts in KONTEXT_ALLOW_HOSTS, get the key`,
      secrets: rule.secrets,
    },
  );
}
