/** What kind of source a spec is: an https URL, a glob, or a plain file path. */
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
    try {
      return { kind: 'url', url: new URL(spec).href };
    } catch {
      return {
        kind: 'invalid',
        code: 'source-url',
        message: `not a valid URL: "${redactUrl(spec)}"`,
        hint: 'write a full https:// URL',
      };
    }
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
