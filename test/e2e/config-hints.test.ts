/**
 * A hint that tells the user to edit their user config names the file this process reads:
 * `$KONTEXT_CONFIG_DIR/config.json`, else `$XDG_CONFIG_HOME/kontext/config.json`, else
 * `~/.config/kontext/config.json`; never the last one when another is in force. Every such hint:
 * a source outside the project (a link, a glob), a recipe's own hosting not trusted, `--hosting`
 * without its settings, and an edit of a local image with no hosting.
 */
import { copyFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const recipe = (sources: string, extra = ''): string => `version: 1
name: hints
provider: runcomfy
${extra}sources:
${sources}
passes:
  - id: sky
    prompt: "Keep the subject unchanged. Make the sky orange."
`;

const PROMPT = 'Keep the subject unchanged. Make the sky orange.';

/** A folder outside the project holding a real image. */
async function outsideImage(root: string): Promise<string> {
  const outside = await tempDir('outside');
  await copyFile(join(root, 'assets', 'portrait-astronaut.jpg'), join(outside, 'p.jpg'));
  return outside;
}

/** Each way to name the config folder, with the file a process in it reads. */
const WAYS = [
  { way: 'KONTEXT_CONFIG_DIR', at: (dir: string) => [{ KONTEXT_CONFIG_DIR: dir }, join(dir, 'config.json')] as const },
  {
    way: 'XDG_CONFIG_HOME',
    at: (dir: string) => [{ XDG_CONFIG_HOME: dir }, join(dir, 'kontext', 'config.json')] as const,
  },
];

const CASES: { what: string; code: number; setUp: (root: string) => Promise<string[]> }[] = [
  {
    what: 'a source linked from outside the project',
    code: 65,
    setUp: async (root) => {
      await symlink(join(await outsideImage(root), 'p.jpg'), join(root, 'assets', 'linked.jpg'));
      await writeRecipe(root, recipe('  a: assets/linked.jpg\n'));
      return ['validate', 'recipe.yml'];
    },
  },
  {
    what: 'a glob starting outside the project',
    code: 65,
    setUp: async (root) => {
      await writeRecipe(root, recipe(`  a: ${await outsideImage(root)}/*.jpg\n`));
      return ['validate', 'recipe.yml'];
    },
  },
  {
    what: "a recipe's own hosting command, not trusted",
    code: 77,
    setUp: async (root) => {
      const hosting = 'hosting: { mode: command, command: [echo, "https://example.com/x.jpg"] }\n';
      await writeRecipe(root, recipe('  a: assets/portrait-astronaut.jpg\n', hosting));
      return ['run', 'recipe.yml'];
    },
  },
  {
    what: '--hosting s3 with no s3 settings',
    code: 64,
    setUp: async () => ['run', 'recipe.yml', '--hosting', 's3'],
  },
  {
    what: 'an edit of a local image with no hosting',
    code: 65,
    setUp: async () => ['edit', '--image', 'assets/portrait-astronaut.jpg', '--prompt', PROMPT, '-o', 'x.png'],
  },
];

async function writeRecipe(root: string, yaml: string): Promise<void> {
  await writeFile(join(root, 'recipe.yml'), yaml);
}

describe('hints name the user config this process reads', () => {
  it.each(CASES.flatMap((c) => WAYS.map((w) => ({ ...c, ...w }))))(
    '$what, with $way',
    async (c) => {
      const root = await project(recipe('  a: assets/portrait-astronaut.jpg\n'));
      const args = await c.setUp(root);
      const [vars, file] = c.at(await tempDir('cfg'));
      const r = await cli(args, { cwd: root, env: { ...runcomfyEnv(emulator(), await tempDir('home')), ...vars } });
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stderr).toContain(file);
      expect(r.stderr).not.toContain('.config/kontext/config.json');
    },
    30_000,
  );
});
