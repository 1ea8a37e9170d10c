/**
 * A URL on this machine or a private network cannot be fetched by a public API: handed over, the
 * request would be paid, fail, and be paid again on the retry. Refused before the submit, from a
 * hosting command and from S3 hosting (a MinIO on localhost, a `public_base_url` on a LAN), unless
 * the provider's API is itself local (the emulator: `HostingDeps.allowPrivateUrls`).
 */
import { privateUrlKind } from '../util/private-host.js';
import { redactUrl } from '../util/redact.js';
import { HostingError } from './errors.js';

/** `source`: what gave the URL, as the message says it, e.g. `hosting command printed`. */
export function refusePrivateUrl(url: string, source: string): void {
  const kind = privateUrlKind(url);
  if (kind === null) return;
  throw new HostingError(
    'E_HOSTING_PRIVATE_URL',
    `${source} a ${kind} URL (${redactUrl(url)}), which the provider's API cannot fetch`,
    {
      hint: 'give a public URL (a bucket or CDN the API can reach); loopback URLs work only with the emulator',
    },
  );
}
