/**
 * The files git tracks (its index) under a folder, for the merge driver (merge-lock.ts): during a
 * merge, an output file git tracks is one git merges too, and the work tree holds ours until the
 * merge ends (a binary conflict keeps ours), so it tells nothing about which side the user keeps.
 * Asked of the `git` on PATH where git runs the driver; no git, or no repository: none.
 */
import { execFile } from 'node:child_process';
import { relative, resolve } from 'node:path';

/** Absolute paths of the files git's index holds under `folder`, asked in `cwd`. */
export function gitTrackedFiles(
  cwd: string,
  folder: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ReadonlySet<string>> {
  const spec = relative(cwd, folder) || '.';
  return new Promise((done) => {
    execFile(
      'git',
      ['ls-files', '-z', '--', spec],
      { cwd, env: { ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, windowsHide: true },
      (error, stdout) => {
        if (error) return done(new Set());
        done(
          new Set(
            stdout
              .split('\0')
              .filter((p) => p !== '')
              .map((p) => resolve(cwd, p)),
          ),
        );
      },
    );
  });
}
