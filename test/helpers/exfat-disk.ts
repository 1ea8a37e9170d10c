/**
 * A small exFAT disk mounted for a test: the file system of a USB stick, an external disk or a
 * camera card, and the closest Linux has to macOS's and Windows's defaults: names compared
 * without case (`Photo.jpg` opens `photo.jpg`), no hard links (link(2) says EPERM), no symlinks.
 * An image file on a loop device, mounted through FUSE (`mount.exfat-fuse`, made by `mkfs.exfat`:
 * the Debian packages exfat-fuse and exfatprogs). Needs root; where anything is missing the
 * caller skips and says why.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ExfatDisk {
  /** The mounted folder. */
  readonly dir: string;
  /** Unmount, detach the loop device and remove the image (safe to call twice). */
  unmount(): Promise<void>;
}

/** A mounted exFAT disk of `megabytes`, or why one cannot be made here. */
export async function mountExfat(megabytes = 64): Promise<ExfatDisk | string> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  const home = await mkdtemp(join(tmpdir(), 'kontext-exfat-'));
  const image = join(home, 'disk.img');
  const dir = join(home, 'mnt');
  let loop: string | null = null;
  let mounted = false;
  const unmount = async (): Promise<void> => {
    if (mounted) await run('umount', [dir]).catch(() => run('umount', ['-l', dir]).catch(() => undefined));
    mounted = false;
    if (loop !== null) await run('losetup', ['-d', loop]).catch(() => undefined);
    loop = null;
    await rm(home, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await writeFile(image, '');
    await truncate(image, megabytes * 1024 * 1024);
    await mkdir(dir);
    await run('mkfs.exfat', [image]);
    loop = (await run('losetup', ['-f', '--show', image])).stdout.trim();
    await run('mount.exfat-fuse', [loop, dir]);
    mounted = true;
    return { dir, unmount };
  } catch (e) {
    await unmount();
    return `cannot mount an exFAT disk here (${(e as Error).message.split('\n')[0] ?? ''})`;
  }
}
