/**
 * `kontext edit` through the built CLI against the emulator (walk-f 1, 2): an `--image` URL a
 * recipe source could not be (plain http://, a bare `https://`) is exit 65 with nothing paid; it
 * was submitted ($0.04 each) and failed remotely. `--no-remote` leaves the remote cache alone, a
 * malformed KONTEXT_REMOTE_CACHE too, which otherwise stops every edit with exit 64.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { paid, project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const EDIT = ['edit', '--prompt', 'Make the sky orange', '--hosting', 'inline', '--seed', '3'];

describe('kontext edit (built CLI)', () => {
  it('an --image URL a recipe refuses is exit 65, nothing paid', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    for (const [image, said] of [
      ['https://', '--image: not a valid URL'],
      [`${emulator().origin}/x.png`, '--image: plain http:// URL'],
    ] as const) {
      const r = await cli([...EDIT, '--image', image], { cwd: root, env });
      expect(r.code, r.stderr).toBe(65);
      expect(r.stderr).toContain(said);
    }
    expect(submits(emulator())).toBe(0);
  }, 60_000);

  it('--no-remote: a malformed KONTEXT_REMOTE_CACHE no longer stops the edit', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'), { KONTEXT_REMOTE_CACHE: 'team-bucket/kontext' });
    const args = [...EDIT, '--image', 'assets/portrait-astronaut.jpg', '-o', 'sky.png'];
    const refused = await cli(args, { cwd: root, env });
    expect(refused.code, refused.stderr).toBe(64);
    expect(refused.stderr).toContain('KONTEXT_REMOTE_CACHE');
    expect(await paid(emulator(), [...args, '--no-remote'], root, env)).toBe(1);
  }, 60_000);
});
