/**
 * Secret scrubbing for anything that may reach a person or a file: messages, logs, reports.
 * Tokens are replaced wherever they appear; URL query strings (presigned signatures) and
 * userinfo are dropped.
 */

const MIN_SECRET_LENGTH = 4;

/** A secret this long or longer is looked for in its encodings and cut copies too. */
const MIN_ENCODED_LENGTH = 12;

/**
 * Replace each secret (longest first) with `***`. Short values are ignored to avoid mangling
 * text. A key of {@link MIN_ENCODED_LENGTH} characters or more (not a path or URL) is also looked for as a server
 * may echo it (walk-o): base64 or base64url, at any byte alignment inside a longer encoded text (an
 * echoed `Basic` header), in hex, in any case, and cut short (`Invalid key sk-live-abcdefgh…`: its
 * first or last half or more, 12 characters at least).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const list = secrets
    .filter((s): s is string => typeof s === 'string' && s.trim().length >= MIN_SECRET_LENGTH)
    .map((s) => s.trim())
    .sort((a, b) => b.length - a.length);
  const long = list.filter((s) => s.length >= MIN_ENCODED_LENGTH && isKeyLike(s));
  const forms = [...list, ...long.flatMap(encodedForms)].sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of forms) out = out.split(s).join('***');
  // A key echoed in another case (an upper-cased header), in hex, or cut at either end (walk-s 6).
  return long.length === 0 ? out : withoutKeyCopies(out, long);
}

/**
 * `text` without any copy of `keys` in any case: whole, in hex, or cut to a leading or trailing part
 * of half the key or more (12 characters at least). One case-folded copy of the text is searched
 * for each key's shortest such parts, each match grown to its longest. Every character is looked
 * at a bounded number of times (a match starting inside the previous one is not grown again), so a
 * hostile 8 MB reply costs milliseconds, a key repeating itself too (review-y 7, review-z 4).
 */
function withoutKeyCopies(text: string, keys: readonly string[]): string {
  const folded = foldAscii(text);
  const ranges: [number, number][] = [];
  for (const secret of keys) {
    const key = foldAscii(secret);
    const least = Math.max(MIN_ENCODED_LENGTH, Math.ceil(key.length / 2));
    const hex = Buffer.from(secret, 'utf8').toString('hex');
    // Each scan's matches in order, on a list of its own (add() joins only ascending neighbours).
    const hexes: [number, number][] = [];
    const heads: [number, number][] = [];
    const tails: [number, number][] = [];
    forEach(folded, hex, (at) => {
      add(hexes, at, at + hex.length);
      return undefined;
    });
    const head = key.slice(0, least);
    let covered = -1;
    forEach(folded, head, (at) => {
      let end = at + least;
      while (end - at < key.length && folded[end] === key[end - at]) end++;
      add(heads, at, end);
      covered = end;
      // A match starting inside this one is not grown again: on from its end.
      return covered;
    });
    const tail = key.slice(key.length - least);
    covered = -1;
    forEach(folded, tail, (at) => {
      const end = at + least;
      let start = at;
      // Grown back only over what no earlier match covers.
      while (
        end - start < key.length &&
        start > Math.max(covered, 0) &&
        folded[start - 1] === key[key.length - (end - start) - 1]
      )
        start--;
      add(tails, start, end);
      covered = Math.max(covered, end);
      // A part ending inside what is covered adds nothing: on from the first that could end past it.
      return covered - least + 1;
    });
    ranges.push(...hexes, ...heads, ...tails);
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of ranges) add(merged, a, b);
  let out = '';
  let kept = 0; // the text before it is written out
  for (const [a, b] of merged) {
    out += `${text.slice(kept, a)}***`;
    kept = b;
  }
  return out + text.slice(kept);
}

/** Append `[a, b)` to `ranges` (ascending by start), joined to the last one where they overlap or touch. */
function add(ranges: [number, number][], a: number, b: number): void {
  const last = ranges[ranges.length - 1];
  if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b);
  else ranges.push([a, b]);
}

/**
 * Call `f` with each place `needle` starts in `haystack` (overlapping ones too), in order; `f` may
 * return where to look on from (past what a match it grew already covers).
 */
function forEach(haystack: string, needle: string, f: (at: number) => number | undefined): void {
  for (let at = haystack.indexOf(needle); at !== -1; ) at = haystack.indexOf(needle, Math.max(at + 1, f(at) ?? 0));
}

/**
 * `s` with its ASCII letters in lower case: the same length as `s` (its indexes are `s`'s) and the
 * same folding for a text and a key, whatever other characters either holds (review-z 3: a text's
 * `İ` made the text folded one way and the key another).
 */
function foldAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * A value read as a secret that is a key (a token, an AWS secret with its `/`s), not a path or a
 * URL (`GOOGLE_APPLICATION_CREDENTIALS=/home/alice/keys/sa.json`, named like a secret): a path cut
 * short is a prefix of many ordinary paths in messages, which scrubbing its cut copies mangled
 * (review-w). Such a value is scrubbed as it is only.
 */
function isKeyLike(value: string): boolean {
  // An AWS secret access key (40 characters of base64's alphabet) may start with `/` (review-x).
  if (/^[A-Za-z0-9/+]{40}$/.test(value)) return true;
  return !/^[~./\\]|^[A-Za-z]:[\\/]|:\/\/|\s|\.[A-Za-z]{1,5}$/.test(value);
}

/**
 * The base64 and base64url characters that stand for `secret` alone, at each of the three byte
 * alignments it may have inside a longer encoded text: the characters whose six bits all come
 * from the secret.
 */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const core = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(forms)].filter((f) => f.length >= 8);
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
