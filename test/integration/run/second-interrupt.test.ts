/**
 * A second Ctrl-C exits at once (exit 130), as the README says, and says what that leaves: a
 * submit still on the wire may have been accepted without its id reaching the journal, and the
 * next run reports it as maybe paid. It used to exit with no line at all (walk-n 5).
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type MainOptions } from '../../../src/cli/main.js';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { createProject, isSubmit, recipeYaml, testRuntime, until, type Project } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
afterEach(async () => {
  await emulator?.close();
  await project?.cleanup();
  emulator = project = undefined;
});

describe('a second Ctrl-C', () => {
  it('exits 130 at once and says that a submit on the wire may be reported as maybe paid', async () => {
    const em = (emulator = await startEmulator({ queueMs: 10, runMs: 20 }));
    const p = (project = await createProject(
      recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']], ['hosting: { mode: inline }']).replace(
        'provider: emulator',
        'provider: runcomfy',
      ),
    ));
    const rt = testRuntime(p.root, {
      RUNCOMFY_MODEL_API_BASE: em.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const release = em.hold('queued');
    const exits: number[] = [];
    const proc = Object.assign(new EventEmitter(), {
      exit: (code?: number): never => {
        exits.push(code ?? 0);
        throw new Error(`exit ${code}`);
      },
    });
    const running = main(['run', p.recipe], { rt, process: proc as unknown as MainOptions['process'] });
    await until(() => em.requestLog().filter(isSubmit).length === 1, 20_000, 'the submit');
    proc.emit('SIGINT', 'SIGINT');
    expect(() => proc.emit('SIGINT', 'SIGINT')).toThrow('exit 130');
    expect(exits).toEqual([130]);
    expect(rt.stderr.text()).toContain(
      'interrupted again: exiting now, without waiting for submits still on the wire; one the API accepted ' +
        'meanwhile left no request id, and the next run reports it as maybe paid (exit 75)',
    );
    release();
    expect(await running).toBe(130);
  }, 30_000);
});
