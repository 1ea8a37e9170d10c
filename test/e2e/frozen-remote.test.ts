/**
 * `--frozen` on a clean clone whose results are in the remote cache, when the remote holds only
 * part of them, is down, or denies every read: exit 65 listing exactly the nodes no cache gives
 * (one warning or notice about the remote), within seconds, with no request and no upload.
 * Exit 65, not 69: the list is what the job needs, whatever kept the remote from giving them.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRemoteUrl, recordObject } from '../../src/remote/location.js';
import { startS3Proxy } from '../integration/remote/proxy.js';
import { useRemoteE2e } from '../helpers/remote-e2e.js';
import type { Project } from '../helpers/run-fixtures.js';
import { closedPort } from '../helpers/black-hole.js';

const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    prompt: Keep the subject unchanged. Replace the background with a warm beige studio backdrop.
  - id: shadow
    prompt: Keep the subject and the backdrop unchanged. Add a faint shadow.
`;

const { s3, remote, kontext, submits, puts, project, clone } = useRemoteE2e(YAML, 'frozen');

/** Listed nodes of a --frozen failure, sorted. */
function listed(stderr: string): string[] {
  return [...stderr.matchAll(/^ {2}(\S+@\S+): /gm)].map((m) => m[1] ?? '').sort();
}

let paidProject: Project | undefined;
async function paidFor(): Promise<Project> {
  if (paidProject) return paidProject;
  const a = await project();
  const r = await kontext(a, ['run', 'recipe.yml']);
  expect(r.code, r.stderr).toBe(0);
  paidProject = a;
  return a;
}

async function frozen(p: Project, extra?: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const [paid, put] = [submits(), puts()];
  const started = Date.now();
  const r = await kontext(p, ['run', 'recipe.yml', '--frozen'], extra);
  expect(Date.now() - started).toBeLessThan(20_000);
  expect([submits(), puts()]).toEqual([paid, put]);
  return r;
}

describe('--frozen and the remote cache', () => {
  it('partial remote hits: exit 65 listing exactly the missing nodes and those they block', async () => {
    const a = await paidFor();
    const lock = await a.readLock();
    const location = parseRemoteUrl(remote(), 'test');
    const gone = ['backdrop@pet-chelsea', 'shadow@scene-rocket'];
    for (const id of gone) await s3().deleteObject(recordObject(location, lock.nodes[id]?.key ?? ''));
    const b = await clone(a);
    await rm(join(b.root, 'recipe.lock.json'), { force: true });
    const r = await frozen(b);
    expect(r.code, r.stderr).toBe(65);
    expect(listed(r.stderr)).toEqual(['backdrop@pet-chelsea', 'shadow@pet-chelsea', 'shadow@scene-rocket']);
    expect(r.stderr).toContain('  shadow@pet-chelsea: blocked by backdrop@pet-chelsea');
  }, 120_000);

  it.each([
    [
      'down (a closed port)',
      async () => ({ AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await closedPort()}` }),
      /not usable/,
    ],
    ['denying every read', undefined, /a read was denied/],
  ])(
    'the remote %s: exit 65 listing every node, one line about the remote',
    async (_, endpoint, said) => {
      await paidFor();
      const b = await clone(await paidFor());
      await rm(join(b.root, 'recipe.lock.json'), { force: true });
      const proxy = endpoint
        ? undefined
        : await startS3Proxy(s3().endpoint, {
            answer: (req, res) => {
              req.resume();
              res.writeHead(403, { 'content-type': 'application/xml' });
              res.end('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
              return true;
            },
          });
      try {
        const extra = endpoint ? await endpoint() : { AWS_ENDPOINT_URL_S3: proxy?.endpoint ?? '' };
        const r = await frozen(b, extra);
        expect(r.code, r.stderr).toBe(65);
        expect(listed(r.stderr)).toHaveLength(8);
        expect(r.stderr.split('\n').filter((l) => said.test(l))).toHaveLength(1);
      } finally {
        await proxy?.close();
      }
    },
    120_000,
  );
});
