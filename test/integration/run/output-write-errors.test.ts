/**
 * An output that cannot be written is the person's to fix, not a bug: the node fails with
 * E_OUTPUT_WRITE, exit 73 (sysexits CANTCREAT), naming the path; the paid result stays in
 * the cache, so fixing the folder and running again submits nothing. Tests run as root
 * (permissions are not enforced), so the real write path is driven into ENOTDIR and EISDIR;
 * EACCES and the others are checked on the mapping itself.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, KontextError, worstExitCode } from '../../../src/errors.js';
import { outputWriteError } from '../../../src/run/output-errors.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

const PROMPT = 'Keep the face unchanged. Make the sky orange.';

describe('output write failures', () => {
  it('a file where the out folder should be: exit 73 naming the path; fixed, nothing is submitted again', async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['a', PROMPT]]));
    await writeFile(join(project.root, 'out'), 'not a folder');
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run).exitCode).toBe(ExitCode.CANT_CREAT);
    const [failed] = eventsOf(run.events, 'node-failed');
    expect(failed).toMatchObject({ node: 'a', code: 'E_OUTPUT_WRITE', exit_code: 73 });
    // The output's name: <out>/<pass>/<source>.<ext>.
    expect(failed?.message).toContain(join(project.outDir, 'a', 'photo.png'));
    expect(failed?.message).toContain('ENOTDIR');
    expect(failed?.hint).toContain('kept in the cache');

    await rm(join(project.root, 'out'));
    const again = await runIn(project, {}, { rig });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 0, cached: 1 });
  }, 30_000);

  it('a folder in the way of a save: copy: exit 73 naming the save path', async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['a', PROMPT, 'save: final/a.{ext}']]));
    await mkdir(join(project.root, 'final', 'a.png'), { recursive: true });
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run).exitCode).toBe(ExitCode.CANT_CREAT);
    const [failed] = eventsOf(run.events, 'node-failed');
    // Refused before writing (the safe-write check sees the folder): same exit code, the path named.
    expect(failed?.code).toBe('E_WRITE_REFUSED');
    expect(failed?.message).toContain(join(project.root, 'final', 'a.png'));
  }, 30_000);

  it.skipIf(!existsSync('/proc/self'))(
    'an out folder under /proc (no folder can be made there): exit 73',
    async () => {
      rig = await startRig();
      project = await createProject(recipeYaml([['a', PROMPT]], ['out: /proc/nope/out']));
      const run = await runIn(project, { allowOutsideRoot: true }, { rig });
      expect(summaryOf(run).exitCode).toBe(ExitCode.CANT_CREAT);
      const [failed] = eventsOf(run.events, 'node-failed');
      expect(failed).toMatchObject({ node: 'a', code: 'E_OUTPUT_WRITE', exit_code: 73 });
      expect(failed?.message).toBe('cannot write /proc/nope/out/a/photo.png (ENOENT)');
      expect(failed?.hint).toContain('no folder can be made there');
    },
    30_000,
  );

  it('maps permission and disk errors, and passes others through', () => {
    for (const code of ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR']) {
      const cause = Object.assign(new Error(`${code}: nope`), { code });
      const e = outputWriteError(cause, '/out/a.png');
      expect(e).toBeInstanceOf(KontextError);
      expect(e).toMatchObject({ code: 'E_OUTPUT_WRITE', exitCode: 73, cause });
      expect((e as KontextError).message).toBe(`cannot write /out/a.png (${code})`);
      expect((e as KontextError).hint).toBeTruthy();
      // Only fields a user can set: a recipe's `out:`/`save:` or an edit's `-o` (there is no `out_dir`).
      if (!['ENOSPC', 'EDQUOT'].includes(code))
        expect((e as KontextError).hint).toContain('`out:`, `save:` or `-o` path');
    }
    const other = Object.assign(new Error('gone'), { code: 'ENOENT' });
    expect(outputWriteError(other, '/out/a.png')).toBe(other);
    const noFolder = Object.assign(new Error('ENOENT: nope'), { code: 'ENOENT', syscall: 'mkdir' });
    expect(outputWriteError(noFolder, '/proc/x/a.png')).toMatchObject({ code: 'E_OUTPUT_WRITE', exitCode: 73 });
    expect(outputWriteError('text', '/out/a.png')).toBe('text');
    expect(outputWriteError(null, '/out/a.png')).toBe(null);
  });

  it('ranks between a missing source and bad usage', () => {
    expect(worstExitCode(ExitCode.CANT_CREAT, ExitCode.NO_INPUT)).toBe(ExitCode.CANT_CREAT);
    expect(worstExitCode(ExitCode.CANT_CREAT, ExitCode.USAGE)).toBe(ExitCode.USAGE);
    expect(worstExitCode(ExitCode.CANT_CREAT, ExitCode.SOFTWARE)).toBe(ExitCode.SOFTWARE);
  });
});
