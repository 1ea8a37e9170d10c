/**
 * What kind of source a spec is: an https URL, a glob, or a plain file path. The one rule for a
 * recipe's `sources:` and `kontext edit --image`.
 */
import { redactUrl } from '../../util/redact.js';
import { isGlob } from './glob-pattern.js';

export type SourceKind =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'glob' }
  | { readonly kind: 'file' }
  | { readonly kind: 'invalid'; readonly code: string; readonly message: string; readonly hint: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

export function classifySource(spec: string): SourceKind {
  const scheme = SCHEME.exec(spec)?.[1]?.toLowerCase();
  if (scheme === 'https') {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      return {
        kind: 'invalid',
        code: 'source-url',
        message: `not a valid URL: "${redactUrl(spec)}"`,
        hint: 'write a full https:// URL',
      };
    }
    if (url.username !== '' || url.password !== '') {
      return {
        kind: 'invalid',
        code: 'source-url-credentials',
        // The credentials masked, not dropped: a message about them that shows none reads as wrong.
        message: `URL with a user name or password: "${withMaskedCredentials(url)}"`,
        hint:
          'the provider is sent the URL as it is, password included; use a URL that needs none (a presigned ' +
          'URL), or download the file and use a local path',
      };
    }
    return { kind: 'url', url: url.href };
  }
  if (scheme === 'http') {
    return {
      kind: 'invalid',
      code: 'source-http',
      message: `plain http:// URL: "${redactUrl(spec)}"`,
      hint: 'use https:// — the provider fetches images over HTTPS only; or download the file and use a local path',
    };
  }
  if (scheme !== undefined) {
    return {
      kind: 'invalid',
      code: 'source-scheme',
      message: `unsupported URL scheme "${scheme}://"`,
      hint: 'use a local path, a glob or an https:// URL',
    };
  }
  return isGlob(spec) ? { kind: 'glob' } : { kind: 'file' };
}

/** `url` redacted (util/redact.ts: no query, no credentials), its credentials shown as `***@`. */
function withMaskedCredentials(url: URL): string {
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  return redactUrl(bare.href).replace(/^https:\/\//, 'https://***@');
}
