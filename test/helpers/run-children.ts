/**
 * `kontext run <recipe>` as child processes of the built CLI, for the tests that kill, starve or
 * interrupt a real run (crash points, kill -9, a hang-up, two runs at once, a deleted cache, a
 * full disk): each child still running when its test ends is killed by `killAll` (call it in
 * `afterEach`).
 */
import type { EmulatorHandle } from '../../src/index.js';
import { cliEnv, spawnCli, type CliChild } from './cli-spawn.js';
import type { Project } from './run-fixtures.js';

export interface RunChildren {
  /** Start `kontext run <recipe> --json` in the project, with `env` on top of a test HOME there. */
  run(p: Project, env: Record<string, string>): CliChild;
  /** Start `kontext <args>` in the project, with `env` on top of a test HOME there. */
  spawn(args: readonly string[], p: Project, env: Record<string, string>): CliChild;
  /** SIGKILL every child still running. */
  killAll(): void;
}

export function runChildren(): RunChildren {
  const children: CliChild[] = [];
  const spawn = (args: readonly string[], p: Project, env: Record<string, string>): CliChild => {
    const child = spawnCli(args, { cwd: p.root, env: cliEnv(p.root, env) });
    children.push(child);
    return child;
  };
  return {
    run: (p, env) => spawn(['run', p.recipe, '--json'], p, env),
    spawn,
    killAll() {
      for (const c of children.splice(0))
        if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    },
  };
}

/** The runcomfy provider pointed at the emulator (a test token, its host allowed). */
export function runcomfyAt(e: EmulatorHandle): Record<string, string> {
  return { RUNCOMFY_MODEL_API_BASE: e.baseUrl, KONTEXT_ALLOW_HOSTS: '127.0.0.1', RUNCOMFY_TOKEN: 'test-token' };
}
