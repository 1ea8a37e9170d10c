/**
 * Which files the watch server may send: only those the current report data names (the
 * outputs shown, the thumbnails, input previews and change maps under `report/`), looked up by
 * their exact decoded path, and only when their real path still lies in the out folder (a
 * symlink leading out is refused) and in the project (the out folder itself swapped for a
 * symlink to elsewhere while the page is served is refused too, unless `--allow-outside-root`).
 * `..`, `%2e%2e`, absolute paths, backslashes and NUL never match an entry, so they are simply
 * not found.
 */
import { createReadStream } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { REPORT_DIR } from '../../plan/report-paths.js';
import { isWithin } from '../../util/real-path.js';
import type { ReportData } from '../types.js';

const TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
};

/** Paths relative to the out folder (`/` separators, decoded) that the page may load. */
export function servableFiles(data: ReportData): Set<string> {
  const files = new Set<string>();
  const add = (url: string | null): void => {
    if (url === null) return;
    const decoded = url.split('/').map(decodeURIComponent).join('/');
    files.add(decoded.startsWith('../') ? decoded.slice(3) : `${REPORT_DIR}/${decoded}`);
  };
  for (const r of data.rows) {
    add(r.input);
    add(r.thumb);
  }
  for (const n of data.nodes) {
    add(n.img);
    add(n.thumb);
    // The preview of the image a node was made from, when its upstream shows other bytes now.
    add(n.input);
    add(n.review?.map ?? null);
  }
  return files;
}

/** The request path (`/bag/x.png`) as an out-folder-relative path, or `null` when it cannot be one. */
export function requestedFile(pathname: string): string | null {
  if (!pathname.startsWith('/')) return null;
  try {
    const parts = pathname.slice(1).split('/').map(decodeURIComponent);
    if (parts.some((p) => p === '' || p === '.' || p === '..' || /[\\\0]/.test(p) || p.includes('/'))) return null;
    return parts.join('/');
  } catch {
    return null; // malformed %-encoding
  }
}

/** Send `rel` from `outDir` if allowed; false when it is not (the caller answers 404). */
export async function sendFile(
  res: ServerResponse,
  p: {
    readonly outDir: string;
    /** The project root the file must really lie in; null: the out folder alone (`--allow-outside-root`). */
    readonly root: string | null;
    readonly rel: string;
    readonly allowed: ReadonlySet<string>;
    readonly head: boolean;
  },
): Promise<boolean> {
  if (!p.allowed.has(p.rel)) return false;
  const type = TYPES[extname(p.rel).toLowerCase()];
  if (type === undefined) return false;
  const path = join(p.outDir, ...p.rel.split('/'));
  const real = await realpath(path).catch(() => null);
  if (real === null) return false;
  for (const dir of p.root === null ? [p.outDir] : [p.outDir, p.root]) {
    const within = await realpath(dir).catch(() => null);
    if (within === null || !isWithin(within, real)) return false;
  }
  const info = await stat(real).catch(() => null);
  if (!info?.isFile() || !(await lstat(real)).isFile()) return false;
  res.writeHead(200, {
    'content-type': type,
    'content-length': info.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (p.head) {
    res.end();
    return true;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(real);
    stream.once('error', () => {
      res.destroy();
      resolve();
    });
    stream.once('end', resolve);
    stream.pipe(res);
  });
  return true;
}
