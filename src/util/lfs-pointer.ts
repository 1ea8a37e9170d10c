/**
 * A git LFS pointer file: what a checkout without `git lfs` (or CI with `lfs: false`) leaves
 * where a file committed with LFS should be. By the LFS spec (docs/spec.md of git-lfs) it is a
 * small text file, at most 1024 bytes: `version https://git-lfs.github.com/spec/v1` first, then
 * sorted `key value` lines, among them `oid sha256:<64 hex>` (the sha256 of the real file) and
 * `size <bytes>`. A CRLF checkout of one is read too.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface LfsPointer {
  /** The sha256 of the file the pointer stands for. */
  readonly oid: string;
  readonly size: number;
}

/** A pointer file is never larger (the LFS spec). */
export const LFS_POINTER_MAX_BYTES = 1024;
const MAX_BYTES = LFS_POINTER_MAX_BYTES;
const VERSIONS = new Set(['https://git-lfs.github.com/spec/v1', 'https://hawser.github.com/spec/v1']);

/** The pointer these bytes are, or null when they are anything else. */
export function parseLfsPointer(bytes: Uint8Array): LfsPointer | null {
  if (bytes.length > MAX_BYTES || bytes.length < 20) return null;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  if (!text.startsWith('version ')) return null;
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  const fields = new Map<string, string>();
  for (const line of lines) {
    const m = /^([a-z0-9.-]+) (\S.*)$/.exec(line);
    if (m === null || fields.has(m[1] as string)) return null;
    fields.set(m[1] as string, m[2] as string);
  }
  const oid = /^sha256:([0-9a-f]{64})$/.exec(fields.get('oid') ?? '')?.[1];
  const size = fields.get('size') ?? '';
  if (!VERSIONS.has(lines[0]?.slice('version '.length) ?? '') || oid === undefined || !/^\d{1,15}$/.test(size))
    return null;
  return { oid, size: Number(size) };
}

/** The pointer the regular file at `path` is (read synchronously: at most 1025 bytes); null otherwise or unreadable. */
export function lfsPointerAt(path: string): LfsPointer | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(MAX_BYTES + 1);
    let got = 0;
    for (let n = -1; n !== 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, got);
    return parseLfsPointer(buf.subarray(0, got));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Whether the file at `path`, hashed as `hashed` (null: unreadable), holds the bytes `sha256`
 * names: its own, or as a git LFS pointer to them (a checkout without git-lfs). The pointer is
 * read only for a file that was hashed (a regular file) and small enough to be one.
 */
export function holdsBytes(
  path: string,
  hashed: { readonly sha256: string; readonly bytes: number } | null,
  sha256: string,
): boolean {
  if (hashed === null || hashed.sha256 === sha256) return hashed !== null;
  return hashed.bytes <= LFS_POINTER_MAX_BYTES && lfsPointerAt(path)?.oid === sha256;
}
