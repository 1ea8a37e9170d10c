/**
 * `--dry-run` tells the truth about money, as real CLI processes against one emulator: its
 * billable count and cost equal the submits the run then makes, when nodes share a request
 * (byte-identical photos with pinned seeds: one cache key, one submit), and `--max-cost` judges
 * the run by those requests. A node re-attaching to a journaled request (paid already) and the
 * nodes a run stops before they submit (and those below them) are not billed, node by node as
 * the run then pays, and `status --json` counts the same: an output changed by hand, a file
 * kontext never wrote at a new node's output path (exit 65), a dead run's intent without a
 * request id (exit 75 unless `--resubmit-uncertain`); an intent of a live run is waited for.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { cli, ensureBuilt, spawnCli } from '../helpers/cli-spawn.js';
import { runcomfyEnv } from '../helpers/e2e-kit.js';
import { createProject, isSubmit, type Project } from '../helpers/run-fixtures.js';

/** Four photos and two copies: six instances; both passes pinned, so each copy asks what its original asks. */
const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    seed: 7
    prompt: Keep the subject unchanged. Replace the background with a grey studio backdrop.
  - id: shadow
    seed: 8
    prompt: Keep the subject and the backdrop unchanged. Add a soft contact shadow.
`;

let emulator: EmulatorHandle;
let project: Project;
const others: Project[] = [];

beforeAll(async () => {
  await ensureBuilt();
  emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  project = await createProject(YAML);
  await copyFile(join(project.root, 'assets', 'pet-chelsea.jpg'), join(project.root, 'assets', 'zz-copy-1.jpg'));
  await copyFile(join(project.root, 'assets', 'scene-rocket.jpg'), join(project.root, 'assets', 'zz-copy-2.jpg'));
}, 180_000);
afterAll(async () => {
  await emulator?.close();
  await project?.cleanup();
  for (const p of others.splice(0)) await p.cleanup();
});

function kontext(args: readonly string[], p = project, command = 'run'): ReturnType<typeof cli> {
  const env = runcomfyEnv(emulator, p.root);
  return cli([command, 'recipe.yml', ...args], { cwd: p.root, env });
}

interface DryRun {
  billable: number;
  cost_usd: number | null;
  nodes: {
    node: string;
    status: string;
    reason: string | null;
    paid: boolean;
    stopped_by: string | null;
    stop_code: string | null;
    waits: boolean;
  }[];
}

/** The last line of `--dry-run --json`. */
function dryRunOf(stdout: string): DryRun {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as DryRun;
}

/**
 * The nodes a run (`--json`) submitted for, and done: started for a reason other than a journaled
 * request, or for one whose claim takes it over (a dead run's intent, `--resubmit-uncertain`).
 */
function paidNodes(stdout: string): string[] {
  const free = new Set<string>();
  const paid: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { type: string; node?: string; reason?: string; claim?: string };
    if (e.type === 'node-start' && e.node !== undefined && e.reason === 'reattach' && e.claim !== 'take-over')
      free.add(e.node);
    if (e.type === 'node-done' && e.node !== undefined && !free.has(e.node)) paid.push(e.node);
  }
  return paid.sort();
}

const paidRows = (d: DryRun): string[] =>
  d.nodes
    .filter((n) => n.paid)
    .map((n) => n.node)
    .sort();

async function statusBillable(p: Project): Promise<{ billable: number; states: Record<string, string> }> {
  const r = await kontext(['--json'], p, 'status');
  expect(r.code, r.stderr).toBe(0);
  const json = JSON.parse(r.stdout) as { billable: number; nodes: { node: string; state: string }[] };
  return { billable: json.billable, states: Object.fromEntries(json.nodes.map((n) => [n.node, n.state])) };
}

/** The four sample photos, no copies (each node its own request), seeds other than the first test's. */
async function otherProject(yaml: string): Promise<Project> {
  const p = await createProject(yaml.replaceAll('seed: 7', 'seed: 17').replaceAll('seed: 8', 'seed: 18'));
  others.push(p);
  return p;
}

const SHADOW_PET = 'shadow@pet-chelsea';
const submits = (): number => emulator.requestLog().filter(isSubmit).length;

describe('--dry-run and the run it describes', () => {
  it('nodes sharing a request are billed once: the count and cost the run then pays', async () => {
    const dry = await kontext(['--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout.trim().split('\n').at(-1) ?? '{}') as {
      billable: number;
      cached: number;
      cost_usd: number;
      nodes: Record<string, unknown>[];
    };
    expect(report).toMatchObject({ billable: 8, cached: 0 });
    // snake_case like every other --json field (walk-u 6: the rows were the library's camelCase).
    expect(Object.keys(report.nodes[0] ?? {})).toEqual([
      'node',
      'status',
      'reason',
      'seed',
      'seed_source',
      'input',
      'paid',
      'stopped_by',
      'stop_code',
      'waits',
    ]);
    const perRequest = report.cost_usd / report.billable;

    // Between the price of 8 requests and of 12 nodes: the run fits.
    const limit = (perRequest * 10).toFixed(2);
    const before = submits();
    const run = await kontext(['--max-cost', limit]);
    expect(run.code, run.stderr).toBe(0);
    // A copy that starts after its twin finished is a cache hit rather than a join: done + cached is
    // 12 either way, and 8 submits (the order is timing's; `done 12 · cached 0` failed under load).
    const [, done, cached] = /done (\d+) · cached (\d+) · failed 0 · skipped 0 · submitted 8\b/.exec(run.stderr) ?? [];
    expect(Number(done) + Number(cached)).toBe(12);
    expect(submits() - before).toBe(report.billable);
  }, 120_000);

  it('a node re-attaching to a journaled (paid) request is not billed; the run pays exactly the rest', async () => {
    const p = await otherProject(YAML);
    // The result reads of the first run meet a proxy's 404 page: the paid request stays journaled (exit 75).
    emulator.setScenario({
      faults: [
        { kind: 'http', on: 'status', status: 404, body: 'html' },
        { kind: 'http', on: 'result', status: 404, body: 'html' },
      ],
    });
    const first = await kontext(['--only', 'backdrop@pet-chelsea'], p);
    emulator.setScenario({});
    expect(first.code, first.stderr).toBe(75);
    // Read again after the test knob's pauses (KONTEXT_TEST_FAST_POLL), not 2 + 5 + 10 s.
    expect(first.stderr).toContain('reading it again in 20 ms');

    const status = await statusBillable(p);
    const dryRun = await kontext(['--dry-run', '--json'], p);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const dry = dryRunOf(dryRun.stdout);
    expect(dry.nodes.find((n) => n.node === 'backdrop@pet-chelsea')).toMatchObject({ reason: 'reattach', paid: false });
    expect(dry.billable).toBe(7); // 8 nodes, one of them paid already
    expect(status.billable).toBe(dry.billable);
    expect(dry.cost_usd).toBeCloseTo(dry.billable * 0.04, 6);
    const text = await kontext(['--dry-run'], p);
    expect(text.stdout).toMatch(/backdrop@pet-chelsea\s+will run: re-attaching to a paid request \(not paid again\)/);
    expect(text.stdout).toContain('7 billable requests (about $0.28)');

    const before = submits();
    const run = await kontext(['--json'], p);
    expect(run.code, run.stderr).toBe(0);
    expect(submits() - before).toBe(dry.billable);
    // Node by node: the nodes that submitted are the ones billed.
    expect(paidNodes(run.stdout)).toEqual(paidRows(dry));
  }, 120_000);

  it('an output changed by hand: that node and every node below it are not billed, as the run skips them', async () => {
    const p = await otherProject(YAML);
    expect((await kontext([], p)).code).toBe(0);
    await writeFile(join(p.outDir, 'backdrop', 'pet-chelsea.png'), 'retouched by hand');
    await p.writeRecipe((await readFile(p.recipe, 'utf8')).replace('grey studio backdrop', 'warm beige backdrop'));

    const status = await statusBillable(p);
    expect(status.states['backdrop@pet-chelsea']).toBe('modified');
    const dryRun = await kontext(['--dry-run', '--json'], p);
    expect(dryRun.code, dryRun.stderr).toBe(65); // as the run will
    const dry = dryRunOf(dryRun.stdout);
    expect(dry.nodes.find((n) => n.node === 'backdrop@pet-chelsea')).toMatchObject({
      paid: false,
      stopped_by: 'backdrop@pet-chelsea',
    });
    expect(dry.nodes.find((n) => n.node === 'shadow@pet-chelsea')).toMatchObject({
      paid: false,
      stopped_by: 'backdrop@pet-chelsea',
    });
    // Four photos, one refused with its shadow: three backdrops and three shadows.
    expect(dry.billable).toBe(6);
    expect(status.billable).toBe(dry.billable);
    expect(dry.cost_usd).toBeCloseTo(dry.billable * 0.04, 6);
    const text = await kontext(['--dry-run'], p);
    expect(text.stdout).toMatch(/backdrop@pet-chelsea\s+refused: its output was changed by hand \(not paid\)/);
    expect(text.stdout).toMatch(/shadow@pet-chelsea\s+not run: below backdrop@pet-chelsea/);

    const before = submits();
    const run = await kontext(['--json'], p);
    expect(run.code, run.stderr).toBe(65);
    expect(submits() - before).toBe(dry.billable);
    expect(paidNodes(run.stdout)).toEqual(paidRows(dry));
  }, 120_000);

  it('a missing output below one changed by hand: not restorable, not cached, as the run skips it', async () => {
    // walk-r 3: status said "restorable from cache" and the dry run counted it cached; the run skipped it.
    const p = await otherProject(YAML);
    expect((await kontext([], p)).code).toBe(0);
    await writeFile(join(p.outDir, 'backdrop', 'pet-chelsea.png'), 'retouched by hand');
    await rm(join(p.outDir, 'shadow', 'pet-chelsea.png'));
    const r = await kontext(['--json'], p, 'status');
    const shadow = (JSON.parse(r.stdout) as { nodes: { node: string }[] }).nodes.find((n) => n.node === SHADOW_PET);
    expect(shadow).toMatchObject({ state: 'missing', stopped_by: 'backdrop@pet-chelsea' });
    const text = await kontext([], p, 'status');
    expect(text.stdout).toMatch(/shadow@pet-chelsea\s+\S+\s+\(not until backdrop@pet-chelsea is fixed\)/);
    const dryRun = await kontext(['--dry-run', '--json'], p);
    const dry = dryRunOf(dryRun.stdout) as DryRun & { cached: number; stopped: number };
    expect([dry.billable, dry.cached, dry.stopped]).toEqual([0, 6, 2]);
    expect((await kontext(['--dry-run'], p)).stdout).toContain(', 6 cached, 2 stopped (above); nothing was submitted');
    const run = await kontext(['--json'], p);
    expect(run.code).toBe(65);
    const start = JSON.parse(run.stdout.split('\n').find((l) => l.includes('"run-start"')) ?? '{}') as object;
    expect(start).toMatchObject({ cached: dry.cached, stopped: dry.stopped, to_run: 0 });
  }, 120_000);
});

describe('--dry-run and status predict what stops a node before it is paid for, as the run then does', () => {
  const [BACKDROP, SHADOW] = ['backdrop@pet-chelsea', 'shadow@pet-chelsea'] as const;
  const row = (d: DryRun, node: string) => d.nodes.find((n) => n.node === node);

  /** A run of `p` killed by its test hook after journaling the intent of BACKDROP, before its submit. */
  async function crashAfterIntent(p: Project): Promise<void> {
    const env = { ...runcomfyEnv(emulator, p.root), KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: 'after-intent' };
    const crashed = await spawnCli(['run', 'recipe.yml', '--only', BACKDROP, '-j', '1'], { cwd: p.root, env }).done;
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
  }

  it("a file kontext never wrote at a new node's output path: refused before its request (exit 65)", async () => {
    const p = await otherProject(YAML);
    const theirs = join(p.outDir, 'backdrop', 'pet-chelsea.png');
    await mkdir(join(p.outDir, 'backdrop'), { recursive: true });
    await writeFile(theirs, "a teammate's retouch");

    const status = await statusBillable(p);
    expect(status.states[BACKDROP]).toBe('modified');
    const dryRun = await kontext(['--dry-run', '--json'], p);
    expect(dryRun.code, dryRun.stderr).toBe(65);
    expect(dryRun.stderr).toContain('is not a file kontext wrote');
    const dry = dryRunOf(dryRun.stdout);
    expect(row(dry, BACKDROP)).toMatchObject({ paid: false, stopped_by: BACKDROP, stop_code: 'E_OUTPUT_CHANGED' });
    expect(row(dry, SHADOW)).toMatchObject({ paid: false, stopped_by: BACKDROP });
    expect(dry.billable).toBe(6);
    expect(status.billable).toBe(dry.billable);
    const frozen = await kontext(['--frozen'], p);
    expect(frozen.code).toBe(65);
    expect(frozen.stderr).toMatch(/backdrop@pet-chelsea: .*pet-chelsea\.png is not a file kontext wrote/);

    const before = submits();
    const run = await kontext(['--json'], p);
    expect(run.code, run.stderr).toBe(65);
    expect(submits() - before).toBe(dry.billable); // nothing for the refused node and the one below it
    expect(paidNodes(run.stdout)).toEqual(paidRows(dry));
    expect(await readFile(theirs, 'utf8')).toBe("a teammate's retouch");
  }, 120_000);

  it("a dead run's intent without a request id: stopped, exit 75, unless --resubmit-uncertain", async () => {
    const p = await otherProject(YAML);
    await crashAfterIntent(p);

    const status = await statusBillable(p);
    const dryRun = await kontext(['--dry-run', '--json'], p);
    expect(dryRun.code, dryRun.stderr).toBe(75); // as the run will
    expect(dryRun.stderr).toContain(`submitted ${BACKDROP} at `);
    expect(dryRun.stderr).toContain('and never got its request id');
    const dry = dryRunOf(dryRun.stdout);
    expect(row(dry, BACKDROP)).toMatchObject({
      reason: 'reattach',
      paid: false,
      stopped_by: BACKDROP,
      stop_code: 'E_SUBMIT_UNCERTAIN',
    });
    expect(row(dry, SHADOW)).toMatchObject({ paid: false, stopped_by: BACKDROP });
    expect(dry.billable).toBe(6);
    expect(status.billable).toBe(dry.billable);
    const text = await kontext(['--dry-run'], p);
    expect(text.stdout).toMatch(/backdrop@pet-chelsea\s+stopped: an earlier run may have submitted it, exit 75/);
    const statusJson = JSON.parse((await kontext(['--json'], p, 'status')).stdout) as { nodes: { node: string }[] };
    expect(statusJson.nodes.find((n) => n.node === BACKDROP)).toMatchObject({ state: 'will-run', claim: 'uncertain' });
    const statusText = (await kontext([], p, 'status')).stdout;
    expect(statusText).toMatch(
      /backdrop@pet-chelsea\s+stopped: an earlier run may have submitted it; the run exits 75/,
    );
    // The review sheet's tile says the same (not "re-attaching": there is no request id).
    const sheet = await kontext(['--json'], p, 'report');
    expect(sheet.code, sheet.stderr).toBe(0);
    const html = await readFile((JSON.parse(sheet.stdout) as { index: string }).index, 'utf8');
    const data = /<script type="application\/json" id="kontext-data">([^<]*)<\/script>/.exec(html)?.[1] ?? '{}';
    const tiles = (JSON.parse(data) as { nodes: { id: string; why: string | null }[] }).nodes;
    expect(tiles.find((n) => n.id === BACKDROP)?.why).toBe('uncertain');
    const frozen = await kontext(['--frozen'], p);
    expect(frozen.code, frozen.stderr).toBe(65);
    expect(frozen.stderr).toContain(
      `${BACKDROP}: an interrupted run's submit is in the journal without its request id`,
    );
    expect(frozen.stderr).not.toContain('re-attaching');

    const before = submits();
    const run = await kontext(['--json'], p);
    expect(run.code, run.stderr).toBe(75);
    expect(submits() - before).toBe(dry.billable);
    expect(paidNodes(run.stdout)).toEqual(paidRows(dry));

    const dryAgain = await kontext(['--dry-run', '--json', '--resubmit-uncertain'], p);
    expect(dryAgain.code, dryAgain.stderr).toBe(0);
    const resubmit = dryRunOf(dryAgain.stdout);
    expect(paidRows(resubmit)).toEqual([BACKDROP, SHADOW]);
    const paidBefore = submits();
    const again = await kontext(['--json', '--resubmit-uncertain'], p);
    expect(again.code, again.stderr).toBe(0);
    expect(submits() - paidBefore).toBe(resubmit.billable);
    expect(paidNodes(again.stdout)).toEqual(paidRows(resubmit)); // its node-start says the claim: take-over
  }, 120_000);

  it('an intent another live run owns: waited for, not billed to this run, nothing stopped', async () => {
    const p = await otherProject(YAML);
    await crashAfterIntent(p);
    // The intent's writer alive: a process of ours stands in for it (no start-time tag to tell it apart).
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const dir = join(p.cacheDir, 'journal');
      for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json'))) {
        const { proc: _proc, ...entry } = JSON.parse(await readFile(join(dir, name), 'utf8')) as { proc?: string };
        await writeFile(join(dir, name), JSON.stringify({ ...entry, pid: owner.pid }));
      }
      const status = await statusBillable(p);
      const dryRun = await kontext(['--dry-run', '--json'], p);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      const dry = dryRunOf(dryRun.stdout);
      expect(row(dry, BACKDROP)).toMatchObject({ reason: 'reattach', paid: false, stopped_by: null, waits: true });
      expect(dry.billable).toBe(7); // its shadow still runs, on the owner's result
      expect(status.billable).toBe(dry.billable);
    } finally {
      owner.kill();
    }
  }, 120_000);
});
