/**
 * `kontext report` as a real process (the BUILT CLI): the page and its thumbnails after a run,
 * thumbnails reused on a second report, hostile prompts escaped, a hostile pass id refused
 * with nothing written, no provider contacted (a runcomfy recipe with no token works), a
 * symlink in place of `<out>/report` refused (nothing written where it leads), `--open` with
 * no opener, and `status`/`clean` leaving the report's files alone; the outputs' hashes kept in
 * the cache's memo for the next report.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReportData } from '../../src/index.js';
import { layout } from '../../src/store/layout.js';
import type { RunRecord } from '../../src/store/types.js';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { createProject, recipeYaml, type Project } from '../helpers/run-fixtures.js';

const HOSTILE = 'Keep the face unchanged. Add a sign reading "</script><script>alert(1)</script><!--" & <b>x</b>';
const execFileP = promisify(execFile);

const YAML = recipeYaml([
  ['sky', 'Keep the face unchanged. Make the sky orange.'],
  ['sign', HOSTILE, 'variants: 2'],
  ['snow', 'Keep everything else unchanged. Add falling snow.', 'from: sky'],
]);

let project: Project | undefined;
beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/** The JSON blob of a written page. */
function dataOf(html: string): ReportData {
  const m = /<script type="application\/json" id="kontext-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no data blob in the page');
  return JSON.parse(m[1]) as ReportData;
}

describe('kontext report (built CLI)', () => {
  it('writes the page and thumbnails, escapes prompts, reuses thumbnails; status and clean keep it', async () => {
    const p = (project = await createProject(YAML));
    const env = cliEnv(p.root);
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    // A run leaves outputs it just wrote out of the hash memo (too new to trust their mtime); an
    // hour old, the report remembers their hashes, so the next report reads none of them again.
    const hourAgo = new Date(Date.now() - 3_600_000);
    const outputs = Object.values((await p.readLock()).nodes).map((e) => join(dirname(p.lockPath), e.output));
    for (const f of outputs) await utimes(f, hourAgo, hourAgo);
    const first = await cli(['report', p.recipe], { cwd: p.root, env });
    expect(first.code, first.stderr).toBe(0);
    for (const f of outputs) {
      const file = join(
        p.cacheDir,
        'sources',
        `${createHash('sha256').update(dirname(f)).digest('hex').slice(0, 32)}.json`,
      );
      const memo = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, { mtime_ns: string }> };
      expect(memo.entries[basename(f)]?.mtime_ns, f).toBe(String((await stat(f, { bigint: true })).mtimeNs));
    }
    expect(first.stdout).toMatch(
      /report: out\/test\/report\/index\.html \(4 nodes, 4 up to date; 10 images made, 0 reused\)/,
    );
    const html = await readFile(join(p.outDir, 'report', 'index.html'), 'utf8');
    // The hostile prompt is data, never markup: it cannot close the blob or open a tag.
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).not.toContain('<b>x</b>');
    expect(html.match(/<script/g)).toHaveLength(2);
    const data = dataOf(html);
    expect(data.passes.map((x) => [x.id, x.from, x.branch])).toEqual([
      ['sky', 'photo', false],
      ['sign', 'sky', false],
      ['snow', 'sky', true],
    ]);
    expect(data.passes[1]?.prompt).toBe(HOSTILE);
    expect(data.nodes.map((n) => [n.id, n.state])).toEqual([
      ['sky', 'up-to-date'],
      ['sign#1', 'up-to-date'],
      ['sign#2', 'up-to-date'],
      ['snow', 'up-to-date'],
    ]);
    for (const n of data.nodes) {
      expect(n.seed).toEqual(expect.any(Number));
      expect(n.img).toMatch(/^\.\.\/[a-z]+\/photo(-v\d)?\.png$/);
      expect(await lstat(join(p.outDir, 'report', n.thumb ?? 'missing'))).toBeTruthy();
    }
    expect(data.nodes.find((n) => n.id === 'sign#2')?.input).toBe(data.nodes[0]?.img);
    expect(data.nodes[0]?.input).toMatch(/^inputs\/[0-9a-f]{64}\.webp$/);

    const second = await cli(['report', p.recipe, '--json'], { cwd: p.root, env });
    expect(JSON.parse(second.stdout)).toMatchObject({ type: 'report', images: { made: 0, reused: 10 } });

    const status = await cli(['status', p.recipe, '--json'], { cwd: p.root, env });
    expect(JSON.parse(status.stdout)).toMatchObject({ clean: true, orphaned: [] });
    const clean = await cli(['clean', p.recipe, '--json'], { cwd: p.root, env });
    expect(JSON.parse(clean.stdout)).toMatchObject({ files: [], dirs: [] });
    expect((await readdir(join(p.outDir, 'report', 'thumbs'))).length).toBe(5); // 4 outputs + the source
    expect((await readdir(join(p.outDir, 'report', 'maps'))).length).toBe(4); // each node's change map

    // Files no node writes, at any depth, are listed as clean treats them: what kontext made goes
    // (orphaned), what it did not make is kept; what lies in the report's image folders is the report's.
    await mkdir(join(p.outDir, 'report', 'thumbs', 'sub'), { recursive: true });
    await writeFile(join(p.outDir, 'report', 'thumbs', 'sub', 'x.webp'), 'x');
    await mkdir(join(p.outDir, 'old', 'deep'), { recursive: true });
    await writeFile(join(p.outDir, 'old', 'deep', 'x.png'), 'x');
    await writeFile(join(p.outDir, 'report', 'notes.txt'), 'x');
    const made = Object.values((await p.readLock()).nodes)[0]?.output ?? 'missing';
    await mkdir(join(p.outDir, 'gone'));
    await copyFile(join(dirname(p.lockPath), made), join(p.outDir, 'gone', 'photo.png')); // a removed pass's output
    const after = JSON.parse((await cli(['status', p.recipe, '--json'], { cwd: p.root, env })).stdout) as {
      orphaned: { output: string }[];
      kept: string[];
    };
    expect(after.orphaned.map((o) => o.output)).toEqual([join(p.outDir, 'gone', 'photo.png')]);
    expect(after.kept).toEqual([join(p.outDir, 'old', 'deep', 'x.png'), join(p.outDir, 'report', 'notes.txt')]);
    const cleaned = await cli(['clean', p.recipe, '--dry-run', '--json'], { cwd: p.root, env });
    const fromRecipe = (f: string): string => relative(dirname(resolve(p.root, p.recipe)), f);
    expect(JSON.parse(cleaned.stdout)).toMatchObject({
      files: [fromRecipe(join(p.outDir, 'gone', 'photo.png'))],
      kept: after.kept.map(fromRecipe),
    });
  });

  it('a cache rebuilt from the lock gets its change maps on the first report, the same as the run made', async () => {
    const p = (project = await createProject(YAML));
    const env = cliEnv(p.root);
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    const recordOf = async (key: string): Promise<RunRecord> =>
      JSON.parse(await readFile(layout.record(p.cacheDir, key), 'utf8')) as RunRecord;
    const keys = Object.values((await p.readLock()).nodes).map((e) => e.key);
    const made = await Promise.all(keys.map(async (k) => (await recordOf(k)).review));
    expect(made.every((r) => r !== undefined)).toBe(true);
    // A teammate's clone, a deleted cache: the next run adopts every node from the lock and the
    // files (no request), and the records it rebuilds have no review.
    await rm(p.cacheDir, { recursive: true, force: true });
    const again = await cli(['run', p.recipe], { cwd: p.root, env });
    expect(again.stderr).toMatch(/submitted 0/);
    expect((await Promise.all(keys.map(recordOf))).map((r) => r.review)).toEqual(keys.map(() => undefined));

    const first = await cli(['report', p.recipe, '--json'], { cwd: p.root, env });
    expect(first.code, first.stderr).toBe(0);
    const data = dataOf(await readFile(join(p.outDir, 'report', 'index.html'), 'utf8'));
    for (const n of data.nodes) {
      expect(n.review?.map, n.id).toMatch(/^maps\/[0-9a-f]{64}\.png$/);
      expect(await lstat(join(p.outDir, 'report', n.review?.map ?? 'missing'))).toBeTruthy();
    }
    // Stored with the records, and the very reviews the original run made (same images, same metric).
    expect((await Promise.all(keys.map(recordOf))).map((r) => r.review)).toEqual(made);
    const second = await cli(['report', p.recipe, '--json'], { cwd: p.root, env });
    expect(JSON.parse(second.stdout)).toMatchObject({ type: 'report', images: { made: 0 } });
  });

  it('a clone with the lock and out/ but none of the records: the page says why there is no change map', async () => {
    const p = (project = await createProject(YAML));
    const env = cliEnv(p.root);
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    await rm(p.cacheDir, { recursive: true, force: true });
    const r = await cli(['report', p.recipe], { cwd: p.root, env });
    expect(r.code, r.stderr).toBe(0);
    const page = dataOf(await readFile(join(p.outDir, 'report', 'index.html'), 'utf8'));
    expect(page.counts['up-to-date']).toBe(page.nodes.length);
    for (const n of page.nodes) {
      expect(n.review, n.id).toBeNull();
      expect(n.noReview, n.id).toMatch(/^not in this cache yet .*: kontext run takes it in/); // before: silent
    }
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).stderr).toMatch(/submitted 0/);
    expect((await cli(['report', p.recipe], { cwd: p.root, env })).code).toBe(0);
    const after = dataOf(await readFile(join(p.outDir, 'report', 'index.html'), 'utf8'));
    for (const n of after.nodes) expect([n.review?.map, n.noReview], n.id).toEqual([expect.any(String), undefined]);
  });

  it('a result whose change map cannot be made says why on the page, without a file path', async () => {
    // A source transparent everywhere: nothing the review can compare the first pass against.
    const p = (project = await createProject(YAML.replace('portrait-astronaut.jpg', 'clear.png')));
    const clear = { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } as const;
    await sharp({ create: clear })
      .png()
      .toFile(join(p.root, 'assets', 'clear.png'));
    const env = cliEnv(p.root);
    const run = await cli(['run', p.recipe], { cwd: p.root, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('no change map: the input ');
    const r = await cli(['report', p.recipe, '--json'], { cwd: p.root, env });
    expect(r.code, r.stderr).toBe(0);
    const html = await readFile(join(p.outDir, 'report', 'index.html'), 'utf8');
    const sky = dataOf(html).nodes.find((n) => n.id === 'sky');
    expect(sky?.review).toBeNull();
    expect(sky?.noReview).toBe('the input is transparent everywhere: there is nothing to compare');
    expect(html).not.toContain(join(p.root, 'assets'));
    // The passes after it compare against its (opaque) output as usual.
    expect(
      dataOf(html)
        .nodes.filter((n) => n.review !== null)
        .map((n) => n.id),
    ).toEqual(['sign#1', 'sign#2', 'snow']);
  });

  it('a recipe given by its full path from elsewhere: the page names it in its project, no path leaks', async () => {
    // A compound prompt: a lint warning, which the page lists with the recipe's name.
    const p = (project = await createProject(recipeYaml([['sky', 'Make the sky orange. Add a red scarf.']])));
    const env = cliEnv(p.root);
    expect((await cli(['run', p.recipe], { cwd: p.root, env })).code).toBe(0);
    // As an editor's task runs it: the recipe's absolute path, from wherever the editor is.
    const r = await cli(['report', p.recipe], { cwd: '/', env });
    expect(r.code, r.stderr).toBe(0);
    const html = await readFile(join(p.outDir, 'report', 'index.html'), 'utf8');
    const data = dataOf(html);
    expect(data.recipe.file).toBe('recipe.yml'); // before: the path from / (the absolute path without its "/")
    expect(data.warnings).toHaveLength(1);
    // before: the absolute path
    expect(data.warnings[0]).toMatch(/^recipe\.yml:\d+:\d+: passes\[0\]\.prompt: /);
    expect(html).not.toContain(p.root.slice(1));
  });

  it('reads local state only: a runcomfy recipe, no token, never run: every node not run yet', async () => {
    const p = (project = await createProject(YAML.replace('provider: emulator', 'provider: runcomfy')));
    const r = await cli(['report', p.recipe, '--json'], { cwd: p.root, env: cliEnv(p.root) });
    expect(r.code, r.stderr).toBe(0);
    const data = dataOf(await readFile(join(p.outDir, 'report', 'index.html'), 'utf8'));
    expect(data.nodes.map((n) => n.state)).toEqual(['not-run', 'not-run', 'not-run', 'not-run']);
    expect(data.nodes.map((n) => n.why)).toEqual(['new', 'new', 'new', 'new']);
    expect(data.counts).toMatchObject({ nodes: 4, 'not-run': 4 });
  });

  it("a crashed report's temp files are removed once a day old; a fresh one (a report beside it) is kept", async () => {
    const p = (project = await createProject(YAML));
    const env = cliEnv(p.root);
    expect((await cli(['report', p.recipe], { cwd: p.root, env })).code).toBe(0);
    const dir = join(p.outDir, 'report');
    const old = [
      join(dir, 'thumbs', `.${'a'.repeat(64)}.0123456789ab-1.tmp`),
      join(dir, '.index.html.0123456789ab-2.tmp'),
    ];
    const fresh = join(dir, 'maps', `.${'b'.repeat(64)}.0123456789ab-3.tmp`);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    for (const f of old) {
      await writeFile(f, 'half an image');
      await utimes(f, twoDaysAgo, twoDaysAgo);
    }
    await writeFile(fresh, 'being written');
    expect((await cli(['report', p.recipe], { cwd: p.root, env })).code).toBe(0);
    for (const f of old) expect(await lstat(f).catch(() => null), f).toBeNull();
    expect((await lstat(fresh)).isFile()).toBe(true);
  });

  it('an out folder named with control characters is refused at its line:col, never printed raw', async () => {
    const p = (project = await createProject(
      YAML.replace('provider: emulator', 'provider: emulator\nout: "out/\\e]0;pwned\\a\\e[2J"'),
    ));
    const env = cliEnv(p.root);
    for (const argv of [
      ['report', p.recipe],
      ['report', p.recipe, '--open'],
    ]) {
      const r = await cli(argv, { cwd: p.root, env: { ...env, PATH: p.root } });
      expect(r.code, r.stderr).toBe(65);
      // At the character itself: the `\e` escape, after `out: "out/`.
      expect(r.stderr).toMatch(/recipe\.yml:\d+:11: out: output folder holds U\+001B \(a control character\)/);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    }
    expect(await lstat(join(p.root, 'out')).catch(() => null)).toBeNull();
  });

  it('a pass id with markup is refused (exit 65) and nothing is written', async () => {
    const p = (project = await createProject(YAML.replace('id: snow', 'id: "<script>alert(1)</script>"')));
    const r = await cli(['report', p.recipe], { cwd: p.root, env: cliEnv(p.root) });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/recipe\.yml:\d+:\d+: .*kebab-case/);
    expect(await lstat(join(p.root, 'out')).catch(() => null)).toBeNull();
  });

  it('an out folder that cannot be made (a file on the way, under /proc): exit 73 naming it', async () => {
    const p = (project = await createProject(YAML));
    await writeFile(join(p.root, 'notes'), 'a file, not a folder\n');
    const cases: [string, readonly string[], string][] = [['notes/out', [], join(p.root, 'notes', 'out')]];
    if (existsSync('/proc/self')) cases.push(['/proc/nope/out', ['--allow-outside-root'], '/proc/nope/out']);
    for (const [out, flags, folder] of cases) {
      await writeFile(p.recipe, YAML.replace('version: 1\n', `version: 1\nout: ${out}\n`));
      const r = await cli(['report', p.recipe, ...flags], { cwd: p.root, env: cliEnv(p.root) });
      expect(r.code, r.stderr).toBe(73);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`cannot make the out folder ${folder} for the report`);
    }
  });

  it('a folder where the page goes: exit 73 naming it, no temp left (not an internal error)', async () => {
    const p = (project = await createProject(YAML));
    const index = join(p.outDir, 'report', 'index.html');
    await mkdir(index, { recursive: true });
    const r = await cli(['report', p.recipe], { cwd: p.root, env: cliEnv(p.root) });
    expect(r.code, r.stderr).toBe(73);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot write the report page ${index}: a folder is in its place`);
    expect((await readdir(join(p.outDir, 'report'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an out folder on a read-only disk: exit 73 naming the report folder (not an internal error)', async (ctx) => {
    const p = (project = await createProject(YAML));
    await mkdir(p.outDir, { recursive: true });
    const mounted = await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', p.outDir]).then(
      () => true,
      () => false,
    );
    if (!mounted) return ctx.skip('cannot mount a tmpfs here');
    try {
      const r = await cli(['report', p.recipe], { cwd: p.root, env: cliEnv(p.root) });
      expect(r.code, r.stderr).toBe(73);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`cannot make the report folder ${join(p.outDir, 'report')} (EROFS)`);
    } finally {
      await execFileP('umount', ['-l', p.outDir]).catch(() => undefined);
    }
  });

  it('refuses a symlink at <out>/report (exit 73) and writes nothing where it leads', async () => {
    const p = (project = await createProject(YAML));
    const elsewhere = join(p.root, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(p.outDir, { recursive: true });
    await symlink(elsewhere, join(p.outDir, 'report'));
    const r = await cli(['report', p.recipe], { cwd: p.root, env: cliEnv(p.root) });
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(/refusing to write the report into .*report: it is a symlink/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('--open with no opener on PATH prints where the page is', async () => {
    const p = (project = await createProject(YAML));
    const bin = join(p.root, 'bin');
    await mkdir(bin);
    const env = { ...cliEnv(p.root), PATH: bin };
    const r = await cli(['report', p.recipe, '--open'], { cwd: p.root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `no program to open it found (xdg-open, open, start): ${join(p.outDir, 'report', 'index.html')}`,
    );
    // With an opener: it is started with the page's path.
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > "${join(p.root, 'opened.txt')}"\n`, { mode: 0o755 });
    await rm(join(p.root, 'opened.txt'), { force: true });
    expect(
      (await cli(['report', p.recipe, '--open'], { cwd: p.root, env: { ...env, PATH: `${bin}:/usr/bin:/bin` } })).code,
    ).toBe(0);
    const { until } = await import('../helpers/run-fixtures.js');
    await until(
      async () => (await readFile(join(p.root, 'opened.txt'), 'utf8').catch(() => '')) !== '',
      5_000,
      'the opener',
    );
    expect((await readFile(join(p.root, 'opened.txt'), 'utf8')).trim()).toBe(join(p.outDir, 'report', 'index.html'));
  });
});
