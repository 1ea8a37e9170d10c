/**
 * An output that cannot be written is the person's to fix, not a bug: E_OUTPUT_WRITE, exit 73
 * (sysexits CANTCREAT), naming the path. A folder that cannot be made, or a folder where the file
 * goes, is found before any request (run/output-folders.ts); a write that fails after the request
 * was paid fails its node, the result stays in the cache, so fixing the folder and running again
 * submits nothing. Tests run as root (permissions are not enforced), so the real write path is
 * driven into ENOTDIR and EISDIR; EACCES and the others are checked on the mapping itself.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, KontextError, worstExitCode } from '../../../src/errors.js';
import { outputWriteError } from '../../../src/run/output-errors.js';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
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
  it('a file where the out folder should be: exit 73 naming the folder, before any request', async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['a', PROMPT]]));
    await writeFile(join(project.root, 'out'), 'not a folder');
    const refused = await runIn(project, {}, { rig }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'E_OUTPUT_WRITE', exitCode: ExitCode.CANT_CREAT });
    // The folder the output goes in: <out>/<pass>.
    expect((refused as KontextError).message).toBe(`cannot write ${join(project.outDir, 'a')} (ENOTDIR)`);
    expect((refused as KontextError).hint).toContain('nothing was submitted');
    expect(rig.submits()).toHaveLength(0);

    await rm(join(project.root, 'out'));
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, submitted: 1 });
  }, 30_000);

  it('folders tried at once: a dry run leaves none, shared parents too; the first failure in plan order', async () => {
    rig = await startRig();
    const passes = Array.from({ length: 40 }, (_, i): [string, string] => [`p${i}`, PROMPT]);
    project = await createProject(recipeYaml(passes, ['out: renders/deep/out']));
    const dry = await runIn(project, { dryRun: true }, { rig });
    expect(dry.result.kind).toBe('dry-run');
    expect(existsSync(join(project.root, 'renders'))).toBe(false);
    // Two folders in the way: the earlier pass's is named, and nothing made is left.
    await mkdir(join(project.root, 'renders', 'deep', 'out'), { recursive: true });
    await writeFile(join(project.root, 'renders', 'deep', 'out', 'p30'), 'a file');
    await writeFile(join(project.root, 'renders', 'deep', 'out', 'p7'), 'a file');
    const refused = await runIn(project, {}, { rig }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'E_OUTPUT_WRITE', exitCode: ExitCode.CANT_CREAT });
    expect((refused as KontextError).message).toBe(
      `cannot write ${join(project.root, 'renders/deep/out/p7')} (EEXIST)`,
    );
    expect((refused as KontextError).hint).toMatch(/^a file is where this folder goes/);
    expect((await readdir(join(project.root, 'renders', 'deep', 'out'))).sort()).toEqual(['p30', 'p7']);
    expect(rig.submits()).toHaveLength(0);
    // A broken symlink in the way is called one (review-ab 6: it was "a file").
    await rm(join(project.root, 'renders', 'deep', 'out', 'p7'));
    await symlink('gone', join(project.root, 'renders', 'deep', 'out', 'p7'));
    const linked = await runIn(project, {}, { rig }).catch((e: unknown) => e);
    expect(linked).toMatchObject({ code: 'E_OUTPUT_WRITE', exitCode: ExitCode.CANT_CREAT });
    expect((linked as KontextError).hint).toMatch(
      `${join(project.root, 'renders', 'deep', 'out', 'p7')} is a symlink to no folder, where a folder goes: `,
    );
    expect(rig.submits()).toHaveLength(0);
  }, 30_000);

  it('the out folder made a file while the request runs: exit 73 naming the file; fixed, no new request', async () => {
    rig = await startRig({ runMs: 200 });
    project = await createProject(recipeYaml([['a', PROMPT]]));
    const p = project;
    const rt = testRuntime(p.root);
    const events: RunEvent[] = [];
    // Made and tried before the request; gone, a file in its place, before the write.
    const onEvent = (e: RunEvent): void => {
      events.push(e);
      if (e.type !== 'node-start') return;
      rmSync(join(p.root, 'out'), { recursive: true });
      writeFileSync(join(p.root, 'out'), 'not a folder');
    };
    const result = await runRecipe(p.recipe, { jobs: 1 }, { rt, onEvent, session: rig.session });
    expect(summaryOf({ result, events, rt }).exitCode).toBe(ExitCode.CANT_CREAT);
    const [failed] = eventsOf(events, 'node-failed');
    expect(failed).toMatchObject({ node: 'a', code: 'E_OUTPUT_WRITE', exit_code: 73 });
    // The output's name: <out>/<pass>/<source>.<ext>.
    expect(failed?.message).toContain(join(p.outDir, 'a', 'photo.png'));
    expect(failed?.message).toContain('ENOTDIR');
    expect(failed?.hint).toContain('kept in the cache');
    expect(rig.submits()).toHaveLength(1);

    await rm(join(p.root, 'out'));
    const again = await runIn(p, {}, { rig });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 0, cached: 1 });
  }, 30_000);

  it('a folder in the way of a save: copy: exit 73 naming the save path, before any request', async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['a', PROMPT, 'save: final/a.{ext}']]));
    await mkdir(join(project.root, 'final', 'a.png'), { recursive: true });
    const refused = await runIn(project, {}, { rig }).catch((e: unknown) => e);
    // Refused as the write would refuse it (safe-write.ts): same code and exit code, the path named.
    expect(refused).toMatchObject({ code: 'E_WRITE_REFUSED', exitCode: ExitCode.CANT_CREAT });
    expect((refused as KontextError).message).toBe(
      `refusing to write ${join(project.root, 'final', 'a.png')}: it is a folder`,
    );
    expect(rig.submits()).toHaveLength(0);
  }, 30_000);

  it.skipIf(!existsSync('/proc/self'))(
    'an out folder under /proc (no folder can be made there): exit 73 before any request',
    async () => {
      rig = await startRig();
      project = await createProject(recipeYaml([['a', PROMPT]], ['out: /proc/nope/out']));
      const refused = await runIn(project, { allowOutsideRoot: true }, { rig }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'E_OUTPUT_WRITE', exitCode: ExitCode.CANT_CREAT });
      expect((refused as KontextError).message).toBe('cannot write /proc/nope/out/a (ENOENT)');
      expect((refused as KontextError).hint).toContain('no folder can be made there');
      expect(rig.submits()).toHaveLength(0);
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
    // An edit's way back to its paid result (RunDeps.paidHint) in place of a recipe's "the next run".
    const paid = outputWriteError(Object.assign(new Error('x'), { code: 'ENOTDIR' }), '/out/a.png', 'use --seed 7');
    expect((paid as KontextError).hint).toMatch(/^a part of the path is a file, .*; use --seed 7$/);
    expect((paid as KontextError).hint).not.toContain('next run');
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
