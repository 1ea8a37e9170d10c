/**
 * The `*.lock.json` files of a project's git branches and stashes (a stash's untracked files too,
 * `git stash -u`), for `kontext gc`: with `out/`
 * ignored, the results a branch paid for live only in the cache, and gc pruned them while another
 * branch was checked out; switching back paid for them all again (walk-v 3). Read with the `git`
 * on PATH, in the project's folder (so only the locks under it), in a fixed number of processes
 * whatever the number of branches: the lock paths any commit ever held (`git log --all`), each
 * branch's and stash's object at those paths (`cat-file --batch-check`), then each distinct object
 * (`cat-file --batch`). The environment's `GIT_DIR`, `GIT_WORK_TREE` and the like are not passed
 * on: gc run from a hook must read the project's own repository. A folder outside any repository,
 * or no git, adds none. Loaded only by gc (its `child_process` stays out of every other command).
 */
import { spawn } from 'node:child_process';
import { READ_CAPS } from '../util/read-bounded.js';

/** A lock file as one git object holds it: named `<ref>:<path>`, the path from the project folder. */
export interface GitLock {
  readonly name: string;
  readonly text: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** At most this many branches (newest first) and stashes are read. */
const MAX_REFS = 500;

/** git's variables that point it at another repository, index or object store (`git rev-parse --local-env-vars`). */
const LOCAL_VARS = new Set([
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_CONFIG',
  'GIT_CONFIG_COUNT',
  'GIT_CONFIG_PARAMETERS',
  'GIT_DIR',
  'GIT_GRAFT_FILE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_OBJECT_DIRECTORY',
  'GIT_PREFIX',
  'GIT_REPLACE_REF_BASE',
  'GIT_SHALLOW_FILE',
  'GIT_WORK_TREE',
]);

/** The lock files of every local branch and stash of the repository `root` is in, under `root`. */
export async function gitLocks(root: string, env: Env): Promise<GitLock[]> {
  const clean = Object.fromEntries(
    Object.entries(env).filter(([k]) => !LOCAL_VARS.has(k) && !k.startsWith('GIT_CONFIG_')),
  );
  const run = (args: readonly string[], input?: string) => git(root, clean, args, input);
  // Full names (`refs/heads/x`): a branch named like an option (`--output=x`) is never read as one.
  const heads = await run([
    'for-each-ref',
    '--sort=-committerdate',
    `--count=${MAX_REFS}`,
    '--format=%(refname)',
    'refs/heads',
  ]);
  if (heads === null) return [];
  // Each stash with its parents: a file `git stash -u` took (a new recipe's lock, never added) is in
  // the third, its untracked files' commit, not in the stash's own tree (walk-ag 3).
  const stashes = lines((await run(['stash', 'list', '--format=%gd %P']))?.toString('utf8') ?? '').map((l) =>
    l.split(' '),
  );
  const stashRefs = stashes.map(([ref]) => ref as string);
  const untracked = stashes.filter((s) => s.length > 3).map(([ref]) => `${ref}^3`);
  const refs = [...lines(heads.toString('utf8')), ...stashRefs, ...untracked].slice(0, MAX_REFS);
  // The stashes by name too: `--all` reaches only the newest (a lock file only in an older one was
  // never asked about: review-ad 4), and their untracked commits (the pathspec keeps a merge's log
  // to its first parent).
  const logged = await run([
    'log',
    '--all',
    ...stashRefs,
    ...untracked,
    '--format=',
    '--name-only',
    '-z',
    '--relative',
    '--',
    '*.lock.json',
  ]);
  const paths = [...new Set((logged?.toString('utf8') ?? '').split(/[\0\n]/).filter((p) => p.endsWith('.lock.json')))];
  if (refs.length === 0 || paths.length === 0) return [];
  // `<ref>:./<path>`: the path from this folder. A path holding a newline cannot be asked for on a line.
  const asked = refs.flatMap((ref) => paths.filter((p) => !p.includes('\n')).map((p) => `${ref}:./${p}`));
  const found = await run(
    ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'],
    `${asked.join('\n')}\n`,
  );
  if (found === null) return [];
  // One object read once, however many refs hold it; named by the first that does.
  const objects = new Map<string, string>();
  for (const [i, line] of lines(found.toString('utf8')).entries()) {
    const [oid, type, size] = line.split(' ');
    const spec = asked[i];
    if (type !== 'blob' || oid === undefined || spec === undefined || objects.has(oid)) continue;
    // No larger than a lock file in the work tree may be (a hostile repository's 1 GB "lock" is not read).
    if (!(Number(size) <= READ_CAPS.lock)) continue;
    objects.set(oid, named(spec));
  }
  if (objects.size === 0) return [];
  const contents = await run(['cat-file', '--batch'], `${[...objects.keys()].join('\n')}\n`);
  return contents === null ? [] : readBatch(contents, objects);
}

/**
 * `refs/heads/main:./a/r.lock.json` as `main:a/r.lock.json`; a stash as git lists it
 * (`stash@{0}^3`: its untracked files).
 */
function named(spec: string): string {
  return spec.replace(/^refs\/heads\//, '').replace(':./', ':');
}

/** `cat-file --batch` output: `<oid> <type> <size>\n<bytes>\n` per object asked for. */
function readBatch(out: Buffer, names: ReadonlyMap<string, string>): GitLock[] {
  const locks: GitLock[] = [];
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) break;
    const [oid = '', type, size] = out.subarray(at, eol).toString('utf8').split(' ');
    at = eol + 1;
    if (type !== 'blob' || size === undefined) continue; // `<oid> missing`: nothing follows
    const end = at + Number(size);
    const name = names.get(oid);
    if (name !== undefined) locks.push({ name, text: out.subarray(at, end).toString('utf8') });
    at = end + 1;
  }
  return locks;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** git's output, or `null` when it fails (no repository, no git, a ref gone meanwhile). */
function git(cwd: string, env: Env, args: readonly string[], input?: string): Promise<Buffer | null> {
  return new Promise((done) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...env, LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'ignore'],
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', () => done(null));
    child.once('close', (code) => done(code === 0 ? Buffer.concat(chunks) : null));
    child.stdin.once('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}
