import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emulatorCommand } from '../../../src/cli/commands/emulator.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-emulator-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runtime(): { rt: Runtime; out: () => string } {
  let text = '';
  const sink = { write: (s: string) => (text += s) };
  return { rt: createRuntime({ cwd: dir, env: {}, stdout: sink, stderr: sink }), out: () => text };
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('kontext emulator command', () => {
  it('prints the base URL and env hint, serves until aborted, resolves 0', async () => {
    await writeFile(
      join(dir, 'faults.json'),
      JSON.stringify({ faults: [{ kind: 'http', on: 'model', nth: 1, status: 503 }] }),
    );
    const { rt, out } = runtime();
    const ac = new AbortController();
    const done = emulatorCommand(
      { port: 0, queueMs: 1, runMs: 1, faultRate: 0, faultSeed: 9, scenario: 'faults.json', price: 0.1 },
      rt,
      ac.signal,
    );
    await waitFor(() => out().includes('\n'));
    const base = /listening on (\S+)/.exec(out())?.[1] ?? '';
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(out()).toContain(
      `export RUNCOMFY_MODEL_API_BASE=${base} KONTEXT_ALLOW_HOSTS=127.0.0.1 RUNCOMFY_TOKEN=anything`,
    );
    expect(out()).toContain('faults: 1 scripted fault(s): http');

    const headers = { authorization: 'Bearer x' };
    expect((await fetch(`${base}/models/m/x`, { headers })).status).toBe(503);
    const info = (await (await fetch(`${base}/models/m/x`, { headers })).json()) as { base_price_usd: number };
    expect(info.base_price_usd).toBe(0.1);
    const scenario = (await (await fetch(`${base.replace(/\/v1$/, '')}/__emulator/scenario`)).json()) as {
      fault_seed: number;
    };
    expect(scenario.fault_seed).toBe(9);

    ac.abort();
    expect(await done).toBe(0);
    await expect(fetch(`${base}/models/m/x`, { headers })).rejects.toThrow();
  });

  it('rejects a bad scenario file before listening', async () => {
    const { rt } = runtime();
    const signal = new AbortController().signal;
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ faults: [{ kind: 'explode' }] }));
    await writeFile(join(dir, 'broken.json'), '{');
    await expect(emulatorCommand({ scenario: 'bad.json' }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO',
      exitCode: 64,
    });
    await expect(emulatorCommand({ scenario: 'broken.json' }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO',
      exitCode: 64,
    });
    await expect(emulatorCommand({ scenario: 'missing.json' }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO_MISSING',
      exitCode: 66,
    });
    await expect(emulatorCommand({ faultRate: 1.5 }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO',
    });
    // A folder is no input to read, as a missing file: 66, not 65.
    await mkdir(join(dir, 'folder.json'));
    await expect(emulatorCommand({ scenario: 'folder.json' }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO_MISSING',
      exitCode: 66,
      message: 'scenario file folder.json: not a file',
    });
  });

  it('a --host no interface has is a usage error (64) saying so, not "choose another --port"', async () => {
    const { rt } = runtime();
    const signal = new AbortController().signal;
    // 192.0.2.1 (TEST-NET-1) is no interface's: EADDRNOTAVAIL, with no name to look up.
    const refused = emulatorCommand({ host: '192.0.2.1' }, rt, signal);
    await expect(refused).rejects.toMatchObject({
      code: 'E_EMULATOR_LISTEN',
      exitCode: 64,
      message: expect.stringMatching(/--host 192\.0\.2\.1 is not an address of this machine/),
      hint: expect.not.stringMatching(/--port/),
    });
  });

  it("names the bad scenario file's line:col, for a value zod refuses and for JSON cut short", async () => {
    const { rt } = runtime();
    const signal = new AbortController().signal;
    await writeFile(join(dir, 'bad.json'), '{\n  "queue_ms": 5,\n  "faults": [\n    { "kind": "explode" }\n  ]\n}\n');
    await writeFile(join(dir, 'broken.json'), '{\n  "faults": [\n    { "kind": "http",\n');
    await expect(emulatorCommand({ scenario: 'bad.json' }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO',
      message: expect.stringMatching(/faults\[0\]\.kind/),
      location: { file: join(dir, 'bad.json'), line: 4, col: 7 },
    });
    await expect(emulatorCommand({ scenario: 'broken.json' }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO',
      location: { file: join(dir, 'broken.json'), line: 4, col: 1 },
    });
    // A value a flag set is not the file's: no place in it is named.
    await writeFile(join(dir, 'ok.json'), '{ "fault_rate": 0.5 }');
    await expect(emulatorCommand({ scenario: 'ok.json', faultRate: 1.5 }, rt, signal)).rejects.toMatchObject({
      code: 'E_EMULATOR_SCENARIO',
      location: undefined,
    });
  });
});
