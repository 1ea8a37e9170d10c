/**
 * The set-up of the hosting-command tests: a temp folder a local http server serves (the
 * "bucket" an upload script copies into), and a project whose env names it — `SERVE_DIR`,
 * `SERVE_BASE_URL` (`<origin>/files`), `UPLOAD_LOG` (one line per command call) and
 * `CLOSED_BASE_URL` (a port nothing listens on: neither this machine nor the API can fetch
 * it) — with an empty `scripts/` folder, for every test of the calling file.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { HostingConfig } from '../../../src/index.js';
import { createProject, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';
import { closedOrigin, startStaticServer, type StaticServer } from './static-server.js';

export interface ServedCommand {
  /** The folder the server serves under `/files`. */
  readonly served: string;
  readonly web: StaticServer;
  readonly project: Project;
}

/** The recipe's hosting: the project's `scripts/upload.sh`. */
export const UPLOAD_COMMAND: Extract<HostingConfig, { mode: 'command' }> = {
  mode: 'command',
  command: './scripts/upload.sh',
};

/** Registers the hooks; `use` receives each test's server and project. */
export function useServedCommand(use: (s: ServedCommand) => void): void {
  let s: ServedCommand | undefined;
  beforeEach(async () => {
    const served = await mkdtemp(join(tmpdir(), 'kontext-served-'));
    const web = await startStaticServer(served);
    const project = await createProject({
      SERVE_DIR: served,
      SERVE_BASE_URL: `${web.origin}/files`,
      CLOSED_BASE_URL: `${await closedOrigin()}/files`,
      UPLOAD_LOG: join(served, 'uploads.log'),
    });
    await mkdir(join(project.root, 'scripts'));
    s = { served, web, project };
    use(s);
  });
  afterEach(async () => {
    await s?.project.close();
    await s?.web.close();
    if (s) await rm(s.served, { recursive: true, force: true });
    s = undefined;
  });
}

/** `text` as the project's executable `scripts/upload.sh`, and a recipe hosting through it. */
export async function useUploadScript(s: ServedCommand, text: string): Promise<void> {
  const path = join(s.project.root, 'scripts', 'upload.sh');
  await writeFile(path, text);
  await chmod(path, 0o755);
  await s.project.writeRecipe(recipeYaml({ hosting: UPLOAD_COMMAND }));
}

/** How many times the command ran (the lines of `UPLOAD_LOG`). */
export async function commandCalls(s: ServedCommand): Promise<number> {
  const text = await readFile(join(s.served, 'uploads.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').length;
}
