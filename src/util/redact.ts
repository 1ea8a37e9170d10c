/**
 * Secret scrubbing for anything that may reach a person or a file: messages, logs, reports.
 * Tokens are replaced wherever they appear; URL query strings (presigned signatures) and
 * userinfo are dropped.
 */

const MIN_SECRET_LENGTH = 4;

/** Replace each secret (longest first) with `***`. Short values are ignored to avoid mangling text. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const list = secrets
    .filter((s): s is string => typeof s === 'string' && s.trim().length >= MIN_SECRET_LENGTH)
    .map((s) => s.trim())
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of list) out = out.split(s).join('***');
  return out;
}

/** A URL safe to print: no userinfo, no query (presigned signatures live there), no fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'data:') return `data:${u.pathname.split(/[;,]/)[0] ?? ''};… (${url.length} chars)`;
    const q = u.search ? '?…' : '';
    return `${u.protocol}//${u.host}${u.pathname}${q}`;
  } catch {
    // Not a URL by WHATWG's rules (a space in the host, a port out of range): cut the same parts
    // by their delimiters, so a password or a signature in it is not printed either.
    const cut = url
      .replace(/^([A-Za-z][\w+.-]*:\/\/)[^?#]*@/, '$1')
      .replace(/([?#]).*$/s, (_, c) => (c === '?' ? '?…' : ''));
    return cut.length > 80 ? `${cut.slice(0, 77)}…` : cut;
  }
}

/** A SigV4 signature outside a URL (an S3 error echoing the request's `Authorization` header). */
const SIGNATURE = /\bSignature=[0-9a-f]{64}\b/g;

/**
 * Scrub every http(s) URL inside free text with {@link redactUrl}, and SigV4 signatures: one
 * authorizes only the request it signed, but that request could be replayed for minutes.
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/g, (m) => redactUrl(m)).replace(SIGNATURE, 'Signature=***');
}

/**
 * `text` with each secret replaced, then cut to `max` characters (an ellipsis marks the cut).
 * In that order: cut first, a secret across the cut would keep its first part, which no later
 * scrubbing recognises (a server echoing our Authorization header at the end of a long error).
 */
export function clipRedacted(text: string, max: number, secrets: readonly (string | undefined)[]): string {
  const t = redactSecrets(text, secrets);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Shorter values are not looked for (a test's placeholder token could match by chance). */
const MIN_CARRIED_SECRET_LENGTH = 8;

/**
 * Whether `text` (a URL, a request id an API returned) holds one of `secrets`, as is or
 * percent-encoded: an API echoing the key into what kontext fetches or stores.
 */
export function carriesSecret(text: string, secrets: readonly string[]): boolean {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // a stray `%`: the text as is is all there is to search
  }
  return secrets.some((s) => s.trim().length >= MIN_CARRIED_SECRET_LENGTH && (text.includes(s) || decoded.includes(s)));
}
