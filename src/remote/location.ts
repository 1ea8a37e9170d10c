/**
 * Where a remote cache lives (`s3://bucket/prefix`) and how objects are named in it
 * (docs/architecture.md#remote-cache): content-addressed blobs and records by cache key,
 * under a format version so a later layout can live beside this one.
 *
 * ```
 * <prefix>/v1/blobs/ab/ab12…ef           image bytes, named by their sha256
 * <prefix>/v1/records/cd/cd34….json      run record, named by its cache key
 * <prefix>/v1/write-check               a `--shard` run's write check (the same bytes every time)
 * ```
 */
import { KontextError, ExitCode } from '../errors.js';
import { splitS3Url } from '../util/s3-url.js';

export interface RemoteLocation {
  readonly bucket: string;
  /** No leading, trailing or doubled slashes; `''` for none. */
  readonly prefix: string;
  /** `s3://bucket/prefix`, normalised: how messages name it. */
  readonly url: string;
}

/**
 * The largest blob in a remote cache: a larger output is never uploaded (it stays local), so a
 * larger object was not written by kontext and is refused unread.
 */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;

/** Parse `s3://bucket[/prefix]`; `where` names the setting in the error (`KONTEXT_REMOTE_CACHE`, `cache.remote`). */
export function parseRemoteUrl(text: string, where: string): RemoteLocation {
  const split = splitS3Url(text);
  if ('problem' in split)
    throw new KontextError('E_REMOTE_CONFIG', `${where}: ${split.problem}: ${JSON.stringify(shown(text))}`, {
      exitCode: ExitCode.USAGE,
      hint:
        'write s3://<bucket>/<prefix>, e.g. s3://team-cache/kontext; the endpoint comes from AWS_ENDPOINT_URL_S3' +
        ' (or --no-remote: run, edit, status, report and clean without the remote cache)',
    });
  const { bucket, prefix } = split;
  return { bucket, prefix, url: `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}` };
}

/** `text` as an error quotes it: credentials written into it (`s3://key:secret@…`) left out. */
function shown(text: string): string {
  return text.slice(0, 200).replace(/^(\s*[A-Za-z][\w+.-]*:\/\/)[^/]*@/, '$1***@');
}

function under(loc: RemoteLocation, rest: string): string {
  return loc.prefix === '' ? `v1/${rest}` : `${loc.prefix}/v1/${rest}`;
}

export function blobObject(loc: RemoteLocation, sha256: string): string {
  return under(loc, `blobs/${sha256.slice(0, 2)}/${sha256}`);
}

export function recordObject(loc: RemoteLocation, key: string): string {
  return under(loc, `records/${key.slice(0, 2)}/${key}.json`);
}

/** The object a `--shard` run writes before its first submit, to learn that it may (remote-cache.ts's `checkWrite`). */
export function writeCheckObject(loc: RemoteLocation): string {
  return under(loc, 'write-check');
}

/** Its bytes: the same from every run, so writing it again changes nothing. */
export const WRITE_CHECK_BODY = Buffer.from(
  'kontext: a --shard run writes this before it pays, to learn that it may\n',
);
