/**
 * The shop recipe the selection and hand-edit tests run through the CLI (in-process `main`,
 * provider runcomfy on a loopback emulator, its own KONTEXT_CACHE_DIR): three product shots,
 * `clean` → `lifestyle` (with a `save:` copy) and `bag` (two variants) on each: 12 nodes.
 */
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockFile } from '../../../src/store/types.js';
import { ASSETS } from '../../helpers/run-fixtures.js';
import { createProject, type Project } from '../run-hosting/harness.js';

export const SHOP = `version: 1
name: shop
provider: runcomfy
hosting: {"mode":"inline"}
sources:
  product: assets/products/*.jpg
passes:
  - id: clean
    prompt: "Keep the object unchanged. Replace the background with plain white."
    seed: 7
  - id: lifestyle
    prompt: "Keep the object unchanged. Put it on a wooden kitchen table."
    save: final/{source}.{ext}
  - id: bag
    from: clean
    prompt: "Keep the object unchanged. Put it in a paper shopping bag."
    variants: 2
`;
export const INSTANCES = ['extra', 'product-a', 'product-b'] as const;

/** A shop recipe over three product shots: 12 nodes (clean, lifestyle, bag#1, bag#2 on each). */
export async function shopProject(): Promise<{ project: Project; cacheDir: string }> {
  const cache = await mkdtemp(join(tmpdir(), 'kontext-select-cache-'));
  const p = await createProject({ KONTEXT_CACHE_DIR: cache });
  await mkdir(join(p.root, 'assets', 'products'), { recursive: true });
  const shots = ['product-coffee.jpg', 'pet-chelsea.jpg', 'scene-rocket.jpg'];
  for (const [i, name] of INSTANCES.entries())
    await copyFile(join(ASSETS, shots[i] ?? ''), join(p.root, 'assets', 'products', `${name}.jpg`));
  await p.writeRecipe(SHOP);
  return { project: p, cacheDir: cache };
}

export interface CliRun {
  readonly code: number;
  /** Node ids that started (went to the API), sorted. */
  readonly started: string[];
  readonly failed: { readonly node: string; readonly code: string; readonly message: string; readonly hint: string }[];
  /** Skipped node ids, sorted. */
  readonly skipped: string[];
  readonly stderr: string;
  /** Submits the emulator received during this run. */
  readonly submits: number;
}

/** `kontext run --json <args>`: what started and failed, and the submits counted at the emulator. */
export async function cliRun(project: Project, ...args: string[]): Promise<CliRun> {
  const before = project.submits().length;
  const r = await project.cli(['run', '--json', ...args]);
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; node?: string; code?: string; message?: string; hint?: string });
  const started = events.filter((e) => e.type === 'node-start').map((e) => e.node ?? '');
  const failed = events
    .filter((e) => e.type === 'node-failed')
    .map((e) => ({ node: e.node ?? '', code: e.code ?? '', message: e.message ?? '', hint: e.hint ?? '' }));
  const skipped = events.filter((e) => e.type === 'node-skipped').map((e) => e.node ?? '');
  return {
    code: r.code,
    started: started.sort(),
    failed,
    skipped: skipped.sort(),
    stderr: r.stderr,
    submits: project.submits().length - before,
  };
}

export async function readLockOf(project: Project): Promise<LockFile> {
  return JSON.parse(await readFile(join(project.root, 'recipe.lock.json'), 'utf8')) as LockFile;
}

/** Where the lock says the node's output is (absolute). */
export async function outputOf(project: Project, node: string): Promise<string> {
  const entry = (await readLockOf(project)).nodes[node];
  if (!entry) throw new Error(`no lock entry for ${node}`);
  return join(project.root, entry.output);
}
