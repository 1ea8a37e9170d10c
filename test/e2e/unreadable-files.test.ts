/**
 * Files this user may not read (another user's, or made unreadable): one line naming the file,
 * exit 66 (sysexits NOINPUT), never "internal error … please report it" (exit 70) nor "not an
 * image" (util/read-failure.ts). The lock, an output, a source, `edit --image`. The built CLI run
 * as `nobody` on its own project (root bypasses file modes: as anyone else, skipped).
 */
import { execFile } from 'node:child_process';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, ensureBuilt, spawnCli } from '../helpers/cli-spawn.js';
import { createProject, recipeYaml, type Project } from '../helpers/run-fixtures.js';

const run = promisify(execFile);
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const HINT = '(make it readable by this user (chmod, or chown to its owner), or run kontext as the user who owns it)';

let project: Project | undefined;
beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe.skipIf(!isRoot)('files nobody may read', () => {
  it('the lock, an output, a source and --image: exit 66 naming the file, one line', async () => {
    project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));
    const p = project;
    const env = cliEnv(p.root);
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    await run('chown', ['-R', `${NOBODY}:${NOBODY}`, p.root]);
    const asNobody = (args: string[]) => spawnCli(args, { cwd: p.root, env, uid: NOBODY, gid: NOBODY }).done;
    const errors = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('warning'));

    await chmod(p.lockPath, 0o000);
    for (const args of [
      ['status', 'recipe.yml'],
      ['run', 'recipe.yml'],
      ['clean', 'recipe.yml', '--dry-run'],
    ]) {
      const r = await asNobody(args);
      expect({ args, code: r.code, errors: errors(r.stderr) }).toEqual({
        args,
        code: 66,
        errors: [`kontext: cannot read lock file ${p.lockPath} (EACCES: no permission) ${HINT}`],
      });
    }
    await chmod(p.lockPath, 0o644);

    const output = join(p.outDir, 'sky', 'photo.png');
    await chmod(output, 0o000);
    const status = await asNobody(['status', 'recipe.yml']);
    expect([status.code, errors(status.stderr)]).toEqual([
      66,
      [`kontext: cannot read file ${output} (EACCES: no permission) ${HINT}`],
    ]);
    const again = await asNobody(['run', 'recipe.yml', '--json']);
    expect(again.code).toBe(66);
    expect(again.stdout).toContain('"code":"E_READ_FAILED"');
    await chmod(output, 0o644);

    await chmod(join(p.root, 'assets', 'portrait-astronaut.jpg'), 0o000);
    const validate = await asNobody(['validate', 'recipe.yml']);
    expect([validate.code, errors(validate.stderr)]).toEqual([
      66,
      [
        'recipe.yml:5:10: sources.photo: "assets/portrait-astronaut.jpg" cannot be read (EACCES: no permission) ' +
          HINT,
      ],
    ]);
    const edit = await asNobody([
      'edit',
      '--image',
      'assets/portrait-astronaut.jpg',
      '--prompt',
      'Add a hat.',
      '-o',
      'e.png',
    ]);
    expect([edit.code, errors(edit.stderr)]).toEqual([
      66,
      [`kontext: cannot read --image assets/portrait-astronaut.jpg (EACCES: no permission) ${HINT}`],
    ]);
  }, 60_000);

  // A cache's own files this user may not read stay misses, said once (not exit 66: review-g).
  it('a cache blob nobody may read is a miss with one warning, the node run again, exit 0', async () => {
    project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));
    const p = project;
    const env = cliEnv(p.root);
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    const { output_sha256: sha } = (await p.readLock()).nodes['sky'] ?? { output_sha256: '' };
    await rm(join(p.outDir, 'sky', 'photo.png'));
    await run('chown', ['-R', `${NOBODY}:${NOBODY}`, p.root]);
    const blob = join(p.root, '.cache', 'kontext', 'blobs', sha.slice(0, 2), sha);
    await chmod(blob, 0o000);
    const again = await spawnCli(['run', 'recipe.yml'], { cwd: p.root, env, uid: NOBODY, gid: NOBODY }).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.split('\n').filter((l) => l.includes('cannot read'))).toEqual([
      expect.stringMatching(/^warning cannot read .* \(EACCES\): cache entries this process may not read are misses/),
    ]);
  }, 60_000);
});
