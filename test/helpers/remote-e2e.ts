/**
 * What the end-to-end files about the shared remote cache share: ONE emulator (its request log
 * counting the paid submits) and ONE s3rver per file, projects removed after the file, the built
 * CLI pointed at both with `KONTEXT_REMOTE_CACHE` set, and a teammate's clean clone of a project.
 */
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../src/index.js';
import { cli, ensureBuilt } from './cli-spawn.js';
import { runcomfyEnv } from './e2e-kit.js';
import { createProject, isSubmit, type Project } from './run-fixtures.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from './s3-server.js';

export interface RemoteE2e {
  readonly s3: () => TestS3Server;
  readonly emulator: () => EmulatorHandle;
  /** `s3://<bucket>/<prefix>`. */
  readonly remote: () => string;
  /** The CLI's environment in `p`: the emulator, the s3rver's endpoint and keys, the remote. */
  readonly env: (p: Project, extra?: Record<string, string>) => Record<string, string>;
  readonly kontext: (p: Project, args: readonly string[], extra?: Record<string, string>) => ReturnType<typeof cli>;
  /** Paid submits so far (the emulator's request log). */
  readonly submits: () => number;
  /** PUTs the s3rver has received so far. */
  readonly puts: () => number;
  /** A project of `yaml` (default: the file's), removed after the file. */
  readonly project: (yaml?: string) => Promise<Project>;
  /** A clean clone of `a`: recipe, sources and lock; no out/ (not committed) and a fresh cache. */
  readonly clone: (a: Project) => Promise<Project>;
}

/** Registers this file's hooks (build, s3rver, emulator; cleanup after) and returns its kit. */
export function useRemoteE2e(yaml: string, prefix: string): RemoteE2e {
  let s3: TestS3Server | undefined;
  let emulator: EmulatorHandle | undefined;
  const projects: Project[] = [];
  beforeAll(async () => {
    await ensureBuilt();
    s3 = await startS3Server();
    emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  }, 180_000);
  // A quarter of a second alone; on a loaded 2-core machine it once took past the 30 s default.
  afterAll(async () => {
    await emulator?.close();
    await s3?.close();
    await Promise.all(projects.splice(0).map((p) => p.cleanup()));
  }, 120_000);
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('started in beforeAll');
    return x;
  };
  const remote = (): string => `s3://${started(s3).bucket}/${prefix}`;
  const env = (p: Project, extra: Record<string, string> = {}): Record<string, string> =>
    runcomfyEnv(started(emulator), p.root, {
      ...TEST_AWS_ENV,
      AWS_ENDPOINT_URL_S3: started(s3).endpoint,
      KONTEXT_REMOTE_CACHE: remote(),
      ...extra,
    });
  const project = async (text = yaml): Promise<Project> => {
    const p = await createProject(text);
    projects.push(p);
    return p;
  };
  return {
    s3: () => started(s3),
    emulator: () => started(emulator),
    remote,
    env,
    kontext: (p, args, extra) => cli(args, { cwd: p.root, env: env(p, extra) }),
    submits: () => started(emulator).requestLog().filter(isSubmit).length,
    puts: () => started(s3).requests.filter((r) => r.method === 'PUT').length,
    project,
    clone: async (a) => {
      const b = await project();
      await rm(b.root, { recursive: true, force: true });
      await cp(a.root, b.root, { recursive: true });
      for (const dir of ['.cache', 'out']) await rm(join(b.root, dir), { recursive: true, force: true });
      return b;
    },
  };
}
