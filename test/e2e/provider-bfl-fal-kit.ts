/**
 * What the BFL and fal.ai end-to-end tests share: a standalone emulator (both protocols, plus
 * RunComfy's), project folders with the example photo, the built CLI with the provider's key
 * and base URL pointed at the emulator, and request counts per route from its log.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/index.js';
import { cli, cliEnv, type CliResult } from '../helpers/cli-spawn.js';
import { afterEach } from 'vitest';
import { files, useEmulator } from '../helpers/e2e-kit.js';

export const KEYS = { bfl: 'bfl-e2e-SECRET-0c41f9d2', fal: 'fal-e2e-id:fal-e2e-SECRET-77b1e0c3' } as const;

export { files, project, tempDir } from '../helpers/e2e-kit.js';

/**
 * The file's standalone emulator (e2e-kit's), its scenario and request log reset after each test
 * in process: through HTTP, global fetch could reuse a kept-alive socket the emulator was
 * closing just then (ECONNRESET, seen once in a loaded CI run).
 */
export function useProviderEmulator(): () => EmulatorHandle {
  const started = useEmulator();
  afterEach(() => {
    const emulator = started();
    emulator.setScenario({});
    emulator.clearRequestLog();
  });
  return started;
}

/** The CLI's environment: a temp HOME (so its own cache), every provider pointed at `emulator`. */
export function envFor(emulator: EmulatorHandle, home: string): Record<string, string> {
  return cliEnv(home, {
    BFL_API_BASE: emulator.origin,
    BFL_API_KEY: KEYS.bfl,
    FAL_QUEUE_BASE: emulator.origin,
    FAL_KEY: KEYS.fal,
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    RUNCOMFY_TOKEN: 'rc-e2e-token',
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
  });
}

export function run(root: string, env: Record<string, string>, args: readonly string[] = []): Promise<CliResult> {
  return cli(['run', 'recipe.yml', ...args], { cwd: root, env });
}

interface LogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly internal?: boolean;
  readonly fault?: string;
}

/** Client calls in the emulator's log (its own input fetches left out), as `METHOD /path status`. */
export function calls(emulator: EmulatorHandle): string[] {
  return (emulator.requestLog() as LogEntry[])
    .filter((e) => !e.internal)
    .map((e) => `${e.method} ${e.path.replace(/[0-9a-f-]{36}/g, '<id>')} ${e.status}`);
}

/** How many calls per `METHOD /path status` (ids folded), e.g. to prove no request was repeated. */
export function countBy(emulator: EmulatorHandle): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls(emulator)) out[c] = (out[c] ?? 0) + 1;
  return out;
}

/** Whether `needle` appears in any file under `dir` (the lock, the cache, the journal...). */
export async function anyFileContains(dir: string, needle: string): Promise<string | null> {
  for (const f of await files(dir)) {
    const text = await readFile(join(dir, f)).catch(() => Buffer.alloc(0));
    if (text.includes(needle)) return f;
  }
  return null;
}
