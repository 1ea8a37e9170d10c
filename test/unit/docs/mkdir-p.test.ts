/**
 * Node's recursive mkdir never returns where mkdir says ENOENT under a folder that exists
 * (`--cache-dir /proc/nope` hung at 100 % CPU): every `mkdir -p` in src/ goes through
 * util/mkdir-p.ts instead. The one exception makes a folder beside the installed bundle, a
 * path no user gives.
 */
import { describe, expect, it } from 'vitest';
import { listFiles, readRepoFile, stripComments } from './repo.js';

const ALLOWED = new Set(['src/cli/code-cache.ts']);

describe('mkdir -p in src/', () => {
  it('goes through util/mkdir-p.ts, never Node recursive mkdir', () => {
    const offenders = listFiles('src', (p) => p.endsWith('.ts') && !ALLOWED.has(p)).filter((path) =>
      /\bmkdir(Sync)?\([^)]*recursive:\s*true/.test(stripComments(readRepoFile(path))),
    );
    expect(offenders).toEqual([]);
  });
});
