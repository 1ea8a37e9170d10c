/**
 * `kontext clean` between a rename and the next run (walk-d 4): a renamed pass, a renamed photo
 * of a glob, a renamed pass with variants, and a photo that takes another's name (displaced)
 * take their old lock entries' seeds (src/run/orphans.ts), so a rename costs nothing. Clean
 * keeps each entry (and its output file, which a machine with an empty cache adopts) while a
 * current node takes it, and says so; `status` does not call it an orphan. Once the run has
 * given the node its own entry, clean removes the old one. Through the CLI in-process, against
 * the emulator.
 */
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { ASSETS, createProject, isSubmit, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle;
let project: Project;
let seed = 1;
beforeEach(async () => {
  emulator = await startEmulator({ queueMs: 10, runMs: 10 });
});
afterEach(async () => {
  await emulator.close();
  await project?.cleanup();
});

interface Cli {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(argv: readonly string[]): Promise<Cli> {
  const env = {
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    KONTEXT_CACHE_DIR: project.cacheDir,
  };
  const rt = testRuntime(project.root, env, seed++);
  const code = await main(argv, { rt });
  return { code, stdout: rt.stdout.text(), stderr: rt.stderr.text() };
}

const submits = (): number => emulator.requestLog().filter(isSubmit).length;

/** e22.sh's recipe, without pinned seeds. */
const CHAIN = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  a: assets/portrait-astronaut.jpg
passes:
  - id: p1
    prompt: Replace the background with a rainy street.
  - id: p2
    from: a
    prompt: Change the jacket to a yellow raincoat.
  - id: p3
    from: p1
    prompt: Add an orange umbrella.
    variants: 2
`;

const GLOB = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  photos: "photos/*"
passes:
  - id: sky
    prompt: Make the sky blue.
`;

interface StatusJson {
  readonly billable: number;
  readonly orphaned: readonly { readonly node: string | null; readonly output: string | null }[];
}

async function statusJson(): Promise<StatusJson> {
  const s = await cli(['status', '--json', 'recipe.yml']);
  expect(s.code).toBe(0);
  return JSON.parse(s.stdout) as StatusJson;
}

async function cleanJson(dryRun: boolean): Promise<Record<string, unknown>> {
  const c = await cli(['clean', '--json', ...(dryRun ? ['--dry-run'] : []), 'recipe.yml']);
  expect(c.code).toBe(0);
  return JSON.parse(c.stdout) as Record<string, unknown>;
}

/** Run, edit, then: status, clean --dry-run and clean agree, and the next run pays `paid`. */
async function renameThenClean(edit: () => Promise<void>, taken: Record<string, string>, paid = 0): Promise<void> {
  expect((await cli(['run', 'recipe.yml'])).code).toBe(0);
  const before = submits();
  const lockBefore = JSON.parse(await readFile(project.lockPath, 'utf8')) as {
    nodes: Record<string, { output: string }>;
  };
  await edit();
  const status = await statusJson();
  expect(status.billable).toBe(paid);
  const orphans = status.orphaned.map((o) => o.node);
  for (const id of Object.keys(taken)) expect(orphans).not.toContain(id);
  const text = await cli(['clean', '--dry-run', 'recipe.yml']);
  for (const [id, by] of Object.entries(taken))
    expect(text.stdout).toContain(`kept lock entry ${id} and its output: ${by} takes its seed`);
  const dry = await cleanJson(true);
  const wet = await cleanJson(false);
  for (const report of [dry, wet]) {
    expect(report['taken']).toEqual(Object.entries(taken).map(([node, by]) => ({ node, by })));
    expect(status.orphaned.filter((o) => o.node !== null).map((o) => o.node)).toEqual(report['lock_entries']);
    for (const id of Object.keys(taken)) expect(report['lock_entries']).not.toContain(id);
  }
  expect(wet['files']).toEqual(dry['files']);
  const lock = JSON.parse(await readFile(project.lockPath, 'utf8')) as { nodes: Record<string, unknown> };
  const files = await project.outFiles();
  for (const id of Object.keys(taken)) {
    expect(lock.nodes[id]).toBeDefined();
    expect(files).toContain(join('out', 'test', ...(lockBefore.nodes[id]?.output ?? '').split('/').slice(2)));
  }
  // Another machine: the same project, its cache empty. The renamed nodes adopt the old outputs.
  await rm(project.cacheDir, { recursive: true, force: true });
  const run = await cli(['run', 'recipe.yml']);
  expect(run.code).toBe(0);
  expect(submits() - before).toBe(paid);
  // The renamed nodes hold their own entries now: the old ones are orphans, and go.
  const after = await statusJson();
  const now = after.orphaned.map((o) => o.node);
  for (const id of Object.keys(taken)) expect(now).toContain(id);
  const last = await cleanJson(false);
  expect(last['taken']).toEqual([]);
  for (const id of Object.keys(taken)) expect(last['lock_entries']).toContain(id);
}

/** The lock as a kontext older than `request_sha256` wrote it, and no cache on this machine (a clone, CI, after gc). */
async function olderLockNoCache(): Promise<void> {
  const lock = JSON.parse(await readFile(project.lockPath, 'utf8')) as { nodes: Record<string, object> };
  for (const entry of Object.values(lock.nodes)) delete (entry as { request_sha256?: string }).request_sha256;
  await writeFile(project.lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  await rm(project.cacheDir, { recursive: true, force: true });
}

describe('a rename on a lock an older kontext wrote (no request_sha256), its cache gone: the key decides', () => {
  it('a renamed pass takes its old entry: nothing paid', async () => {
    project = await createProject(CHAIN);
    await renameThenClean(
      async () => {
        await olderLockNoCache();
        await project.writeRecipe(CHAIN.replace('id: p2', 'id: p2-renamed'));
      },
      { p2: 'p2-renamed' },
    );
  }, 60_000);

  it('a renamed photo takes its old entry: nothing paid', async () => {
    project = await createProject(GLOB);
    await mkdir(join(project.root, 'photos'));
    await cp(join(ASSETS, 'pet-chelsea.jpg'), join(project.root, 'photos', 'cat.jpg'));
    await renameThenClean(
      async () => {
        await olderLockNoCache();
        await rename(join(project.root, 'photos', 'cat.jpg'), join(project.root, 'photos', 'kitten.jpg'));
      },
      { 'sky@cat': 'sky@kitten' },
    );
  }, 60_000);

  it('a renamed pass asking something else (another prompt) does not take the seed', async () => {
    project = await createProject(CHAIN);
    expect((await cli(['run', 'recipe.yml'])).code).toBe(0);
    await olderLockNoCache();
    const old = (await project.readLock()).nodes['p2'];
    await project.writeRecipe(CHAIN.replace('id: p2', 'id: p2b').replace('yellow raincoat', 'red raincoat'));
    const status = await statusJson();
    expect([status.billable, status.orphaned.map((o) => o.node)]).toEqual([1, ['p2']]);
    const before = submits();
    expect((await cli(['run', 'recipe.yml'])).code).toBe(0);
    expect(submits() - before).toBe(1);
    expect((await project.readLock()).nodes['p2b']?.seed).not.toBe(old?.seed);
  }, 60_000);
});

describe('clean after a rename, before the run', () => {
  it.each([
    ['', CHAIN],
    [
      ' (a variant picked: status resolves every branch apart)',
      CHAIN.replace('variants: 2', 'variants: 2\n    pick: 1'),
    ],
  ])(
    'a renamed pass keeps its old entry and file until the run takes them: nothing paid%s',
    async (_, yaml) => {
      project = await createProject(yaml);
      await renameThenClean(() => project.writeRecipe(yaml.replace('id: p2', 'id: p2-renamed')), { p2: 'p2-renamed' });
    },
    60_000,
  );

  it('a renamed pass with variants: each variant keeps its entry', async () => {
    project = await createProject(CHAIN);
    await renameThenClean(() => project.writeRecipe(CHAIN.replace('id: p3', 'id: p3-renamed')), {
      'p3#1': 'p3-renamed#1',
      'p3#2': 'p3-renamed#2',
    });
  }, 60_000);

  it('a renamed photo of a glob keeps its entry', async () => {
    project = await createProject(GLOB);
    await mkdir(join(project.root, 'photos'));
    await cp(join(ASSETS, 'pet-chelsea.jpg'), join(project.root, 'photos', 'cat.jpg'));
    await renameThenClean(
      () => rename(join(project.root, 'photos', 'cat.jpg'), join(project.root, 'photos', 'kitten.jpg')),
      { 'sky@cat': 'sky@kitten' },
    );
  }, 60_000);

  it('a photo takes the old photo’s name (displaced) as the pass is renamed: only the new photo is paid', async () => {
    project = await createProject(GLOB);
    await mkdir(join(project.root, 'photos'));
    await cp(join(ASSETS, 'pet-chelsea.jpg'), join(project.root, 'photos', 'shoe.png'));
    // shoe.jpg sorts first and takes the name `shoe`; the photo that was `shoe` becomes `shoe-2`.
    await renameThenClean(
      async () => {
        await cp(join(ASSETS, 'scene-rocket.jpg'), join(project.root, 'photos', 'shoe.jpg'));
        await project.writeRecipe(GLOB.replace('id: sky', 'id: sky2'));
      },
      { 'sky@shoe': 'sky2@shoe-2' },
      1,
    );
  }, 60_000);
  it('runs with --provider: clean keeps the entry the renamed pass takes on that provider', async () => {
    const recipe = (id: string): string =>
      'version: 1\nname: test\nprovider: emulator\nhosting: { mode: inline }\n' +
      'sources:\n  a: assets/portrait-astronaut.jpg\n' +
      `passes:\n  - id: ${id}\n    prompt: Change the jacket to a yellow raincoat.\n`;
    project = await createProject(recipe('p2'));
    expect((await cli(['run', '--provider', 'runcomfy', 'recipe.yml'])).code).toBe(0);
    await project.writeRecipe(recipe('p2b'));
    const status = JSON.parse((await cli(['status', '--json', '--provider', 'runcomfy', 'recipe.yml'])).stdout) as {
      orphaned: { node: string }[];
    };
    expect(status.orphaned).toEqual([]);
    expect((await cli(['clean', 'recipe.yml'])).code).toBe(0);
    expect(Object.keys((await project.readLock()).nodes)).toEqual(['p2']);
    const before = submits();
    expect((await cli(['run', '--provider', 'runcomfy', 'recipe.yml'])).code).toBe(0);
    expect(submits() - before).toBe(0);
  });
  it("a pass on its own provider, runs with --provider the recipe's: status, clean agree, 0 paid", async () => {
    const recipe = (id: string): string =>
      'version: 1\nname: test\nprovider: runcomfy\nhosting: { mode: inline }\n' +
      'sources:\n  a: assets/portrait-astronaut.jpg\n' +
      `passes:\n  - id: ${id}\n    provider: emulator\n    prompt: Change the jacket to a yellow raincoat.\n`;
    project = await createProject(recipe('p2'));
    expect((await cli(['run', '--provider', 'runcomfy', 'recipe.yml'])).code).toBe(0);
    await project.writeRecipe(recipe('p2b'));
    for (const argv of [
      ['status', '--json', 'recipe.yml'],
      ['status', '--json', '--provider', 'runcomfy', 'recipe.yml'],
    ])
      expect((JSON.parse((await cli(argv)).stdout) as { orphaned: unknown[] }).orphaned).toEqual([]);
    expect((await cli(['clean', 'recipe.yml'])).code).toBe(0);
    expect(Object.keys((await project.readLock()).nodes)).toEqual(['p2']);
    const before = submits();
    expect((await cli(['run', '--provider', 'runcomfy', 'recipe.yml'])).code).toBe(0);
    expect(submits() - before).toBe(0);
  });

  it('runs with --cache-dir: clean --cache-dir resolves through that cache and keeps the entry, 0 paid', async () => {
    project = await createProject(CHAIN);
    const other = ['--cache-dir', join(project.root, 'other-cache')];
    expect((await cli(['run', ...other, 'recipe.yml'])).code).toBe(0);
    await project.writeRecipe(CHAIN.replace('id: p3', 'id: p3-renamed'));
    // out/ gone: p3-renamed's input (p1's output) is only in the run's cache, not the default one.
    await rm(join(project.root, 'out'), { recursive: true, force: true });
    const clean = await cli(['clean', '--json', ...other, 'recipe.yml']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({
      taken: [
        { node: 'p3#1', by: 'p3-renamed#1' },
        { node: 'p3#2', by: 'p3-renamed#2' },
      ],
      lock_entries: [],
    });
    const before = submits();
    expect((await cli(['run', ...other, 'recipe.yml'])).code).toBe(0);
    expect(submits() - before).toBe(0);
    // Checked as run checks it (review-g): a cache dir holding the project is a usage error, not a bad lock.
    const here = await cli(['clean', '--dry-run', '--cache-dir', '.', 'recipe.yml']);
    expect([here.code, here.stderr]).toEqual([64, expect.stringContaining('holds the project')]);
  });
});
