/**
 * Ctrl-C while a submit waits for its connection: the API's host takes the TCP connection and
 * never answers the TLS handshake (a firewall, a dead load balancer). Nothing was sent, so the
 * run stops at once (not after the 5 s grace a submit on the wire gets and the rest of the 10 s
 * connect timeout: 19 s before util/http-request.ts), says nothing of "maybe paid", clears its
 * intent; the next run pays once.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cliEnv, ensureBuilt, spawnCli } from '../../helpers/cli-spawn.js';
import { submits } from '../../helpers/e2e-kit.js';
import { journalFiles } from '../../helpers/journal-files.js';
import { runcomfyAt } from '../../helpers/run-children.js';
import { createProject, type Project, until } from '../../helpers/run-fixtures.js';

const YAML = [
  'version: 1',
  'name: stall',
  'provider: runcomfy',
  'hosting: { mode: inline }',
  'sources:',
  '  photo: assets/portrait-astronaut.jpg',
  'passes:',
  '  - id: bg',
  '    prompt: Replace the background with a harbour at dusk.',
  '',
].join('\n');

let emulator: EmulatorHandle;
let silent: Server;
const accepted: Socket[] = [];
let project: Project | undefined;

beforeAll(async () => {
  await ensureBuilt();
  emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  silent = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
}, 180_000);
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await Promise.all([emulator.close(), new Promise((r) => silent.close(r))]);
});
afterEach(() => project?.cleanup());

it('Ctrl-C while the TLS handshake stalls: stopped at once, nothing maybe paid; the next run pays once', async () => {
  const p = await createProject(YAML, 'stall');
  project = p;
  const stalled = `https://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
  const env = cliEnv(p.root, { ...runcomfyAt(emulator), RUNCOMFY_MODEL_API_BASE: stalled });
  const before = accepted.length;
  const child = spawnCli(['run', 'recipe.yml'], { cwd: p.root, env });
  await until(() => accepted.length > before);
  const sentAt = performance.now();
  child.child.kill('SIGINT');
  const stopped = await child.done;
  const tookMs = performance.now() - sentAt;
  expect(stopped.code, stopped.stdout + stopped.stderr).toBe(130);
  expect(stopped.stdout + stopped.stderr).not.toMatch(/maybe paid|may have been accepted|outcome unknown/);
  expect(await journalFiles(p.cacheDir)).toEqual([]);
  // Not the grace and the connect timeout (19 s before): a wide margin for a loaded machine.
  expect(tookMs).toBeLessThan(5_000);

  const paidBefore = submits(emulator);
  const next = await spawnCli(['run', 'recipe.yml'], { cwd: p.root, env: cliEnv(p.root, runcomfyAt(emulator)) }).done;
  expect(next.code, next.stdout + next.stderr).toBe(0);
  expect(submits(emulator) - paidBefore).toBe(1);
}, 60_000);
