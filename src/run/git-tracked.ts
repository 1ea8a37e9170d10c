/**
 * Whether git tracks a file (its index), for the merge driver (merge-lock.ts): during a merge, an
 * output file git tracks is one git merges too, and the work tree holds ours until the merge ends
 * (a binary conflict keeps ours), so it tells nothing about which side the user keeps. Asked of
 * the `git` on PATH where git runs the driver, for that one path (a monorepo's whole index is
 * never listed). When git cannot answer (not on PATH, a failure), the file counts as tracked:
 * the driver then leaves the node for `kontext run` rather than judge by a file that may be ours;
 * outside any repository (the driver run by hand) nothing is tracked.
 * Loaded only by the driver (its `child_process` stays out of every other command's start).
 */
import { execFile } from 'node:child_process';
import { relative } from 'node:path';

/** Whether git's index holds `file` (absolute), asked in `cwd`; true when git cannot say. */
export function isTrackedByGit(
  cwd: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<boolean> {
  // `:(literal)`: a name holding `*` or `?` is that name, not a pattern.
  const spec = `:(literal)${relative(cwd, file)}`;
  return new Promise((done) => {
    execFile(
      'git',
      ['ls-files', '-z', '--error-unmatch', '--', spec],
      // LC_ALL=C: git's own words, which the "no repository" test reads.
      { cwd, env: { ...env, LC_ALL: 'C' }, encoding: 'utf8', maxBuffer: 1024 * 1024, windowsHide: true },
      // 1: "did not match any file(s) known to git"; no repository: no index tracks it (a driver run
      // by hand outside one). Anything else (no git on PATH: ENOENT, another failure) cannot say.
      (error, _stdout, stderr) => {
        if (error === null) return done(true);
        const untracked = (error as { code?: unknown }).code === 1 || /not a git repository/i.test(stderr);
        done(!untracked);
      },
    );
  });
}
