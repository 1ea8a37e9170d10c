/**
 * The terminal closed under a run (SIGHUP), with the BUILT CLI as a real child against a
 * standalone emulator: it winds down as at Ctrl-C (a submit on the wire gets its grace and is
 * journaled, queued requests are cancelled, exit 130), so nothing is left "maybe paid".
 * Under a real pseudo-terminal (util-linux `script`), closing it also makes every later write
 * to the terminal fail (EIO): the wind-down must survive that too. So must a closed pipe
 * (EPIPE: the reader of `kontext run --json | head` went away), which counts as Ctrl-C too.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { cliEnv, ensureBuilt } from '../../helpers/cli-spawn.js';
import { journalEntries, journalFiles } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import {
  acceptedByPrompt,
  createProject,
  REPO_ROOT,
  recipeYaml,
  runIn,
  summaryOf,
  until,
  type Project,
} from '../../helpers/run-fixtures.js';

const HEAD = ['hosting: { mode: inline }'];
/** util-linux script(1): runs a command on a new pseudo-terminal. */
const SCRIPT = '/usr/bin/script';
const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Add a red scarf.';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children = runChildren();

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  children.killAll();
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const cancels = (log: readonly RequestLogEntry[]): number =>
  log.filter((e) => e.method === 'POST' && e.path.endsWith('/cancel')).length;

/** Journal entries still without a request id: submits that left and have not been answered. */
async function intents(p: Project): Promise<number> {
  return (await journalEntries(p.cacheDir)).filter((e) => e.request_id === undefined).length;
}

/** Both intents are journaled and their submits have had time to leave (the replies take 1.5 s). */
async function whileOnTheWire(p: Project, detail: () => string): Promise<void> {
  await until(async () => (await intents(p)) === 2, 20_000, 'both intents', detail);
  await new Promise((r) => setTimeout(r, 300));
}

/** Two nodes; the submits take 1.5 s to be answered (a hang-up lands while both are on the wire), then queue. */
async function slowSubmitProject(): Promise<{ em: EmulatorHandle; env: Record<string, string>; p: Project }> {
  emulator = await startEmulator({
    queueMs: 10_000,
    runMs: 20,
    scenario: { faults: [{ kind: 'slow', on: 'submit', delay_ms: 1_500 }] },
  });
  project = await createProject(
    recipeYaml(
      [
        ['a', A],
        ['b', B, 'from: photo'],
      ],
      HEAD,
    ).replace('provider: emulator', 'provider: runcomfy'),
  );
  return { em: emulator, env: runcomfyAt(emulator), p: project };
}

/**
 * After the hang-up: both submits were answered, journaled and cancelled (unpaid), so nothing is
 * left maybe-paid and the next run simply submits both again.
 */
async function expectCleanRerun(em: EmulatorHandle, env: Record<string, string>, p: Project): Promise<void> {
  expect(cancels(em.requestLog())).toBe(2);
  expect(await journalFiles(p.cacheDir)).toEqual([]);
  em.setScenario({ queue_ms: 20, faults: [] });
  const rerun = await runIn(p, {}, { env });
  expect(summaryOf(rerun)).toMatchObject({ exitCode: 0, failed: 0, uncertain: [], submitted: 2 });
  expect(Object.fromEntries(acceptedByPrompt(em.requestLog()))).toEqual({ [A]: 2, [B]: 2 });
  expect(await journalFiles(p.cacheDir)).toEqual([]);
}

describe('terminal closed (SIGHUP) during a run', () => {
  it('SIGHUP while submits are on the wire: exit 130, journaled and cancelled, nothing maybe-paid', async () => {
    const { em, env, p } = await slowSubmitProject();
    const child = children.spawn(['run', p.recipe, '-j', '4'], p, env);
    await whileOnTheWire(p, () => child.output());
    child.child.kill('SIGHUP');
    const result = await child.done;
    expect({ code: result.code, signal: result.signal }, child.output()).toEqual({ code: 130, signal: null });
    await expectCleanRerun(em, env, p);
  }, 40_000);

  it.skipIf(!existsSync(SCRIPT) || !existsSync('/proc/self/task'))(
    'the pseudo-terminal closed while submits are on the wire: the run still winds down',
    async () => {
      const { em, env, p } = await slowSubmitProject();
      const bin = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
      const command = ['exec', process.execPath, bin, 'run', p.recipe, '-j', '4'].map((s) => `'${s}'`).join(' ');
      // `script` runs the CLI on a new pseudo-terminal (the CLI leads its session); killing `script`
      // closes the master side: the terminal hangs up (SIGHUP), and later writes to it fail (EIO).
      const term = spawn(SCRIPT, ['-qfec', command, '/dev/null'], {
        cwd: p.root,
        env: cliEnv(p.root, { ...env, TERM: 'xterm' }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      term.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await whileOnTheWire(p, () => out);
      const cli = Number((await readFile(`/proc/${term.pid}/task/${term.pid}/children`, 'utf8')).trim());
      expect(cli).toBeGreaterThan(0);
      term.kill('SIGKILL');
      await until(() => !alive(cli), 20_000, 'the CLI to end');
      await expectCleanRerun(em, env, p);
    },
    40_000,
  );

  it('the reader of its output goes away (`run --json | head`): wound down the same, nothing maybe-paid', async () => {
    const { em, env, p } = await slowSubmitProject();
    const child = children.spawn(['run', p.recipe, '-j', '4', '--json'], p, env);
    await whileOnTheWire(p, () => child.output());
    // The reader closes its end: the run's next event line (a submit answered) meets EPIPE.
    child.child.stdout?.destroy();
    const result = await child.done;
    expect({ code: result.code, signal: result.signal }, child.output()).toEqual({ code: 130, signal: null });
    await expectCleanRerun(em, env, p);
  }, 40_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
