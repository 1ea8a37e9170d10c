/**
 * `kontext push`: results paid before the team set up its remote cache (here: runs with
 * `--no-remote`) reach the remote, so a teammate's clean clone — fresh cache, no out/ — pays
 * nothing, even under `--frozen`. Real CLI processes against one emulator (its request log
 * counts the paid submits) and one s3rver (its log counts the PUTs); a proxy in front of it
 * denies writes. What push refuses: no remote (64), a recipe's own remote not trusted (77),
 * read-only keys (77), a remote that is down (75); a damaged local blob is never sent.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBucket } from '../../src/remote/bucket.js';
import { parseRemoteUrl } from '../../src/remote/location.js';
import { openStore } from '../../src/store/index.js';
import { spawnCli } from '../helpers/cli-spawn.js';
import { useRemoteE2e } from '../helpers/remote-e2e.js';
import { REPO_ROOT, type Project } from '../helpers/run-fixtures.js';
import { TEST_AWS_ENV } from '../helpers/s3-server.js';
import { startS3Proxy } from '../integration/remote/proxy.js';
import { closedPort } from '../helpers/black-hole.js';

const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    prompt: Keep the subject unchanged. Replace the background with a plain light grey studio wall.
  - id: warm
    prompt: Keep the subject and the background unchanged. Make the light soft and warm.
`;
const NODES = 8; // four photos, two passes

const { s3, remote: REMOTE, env, kontext, submits, puts, project, clone } = useRemoteE2e(YAML, 'push');

interface PushJson {
  type: string;
  remote: string;
  dry_run: boolean;
  pushed: string[];
  present: string[];
  unfit: { node: string; why: string }[];
  not_local: string[];
}

async function push(p: Project, args: readonly string[] = [], extra?: Record<string, string>): Promise<PushJson> {
  const r = await kontext(p, ['push', 'recipe.yml', '--json', ...args], extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PushJson;
}

/** A project whose results were paid for with no remote cache in use (before the team set one up). */
async function paidLocally(yaml = YAML): Promise<Project> {
  const a = await project(yaml);
  const before = submits();
  const r = await kontext(a, ['run', 'recipe.yml', '--no-remote']);
  expect(r.code, r.stderr).toBe(0);
  expect(submits() - before).toBe(NODES);
  return a;
}

describe('kontext push', () => {
  it('sends what was paid without the remote; a clean clone then pays nothing, even --frozen', async () => {
    const a = await paidLocally();
    const b = await clone(a);
    // Before the push, the clone's frozen run has nothing to take its results from.
    expect((await kontext(b, ['run', 'recipe.yml', '--frozen'])).code).toBe(65);

    const putsBefore = puts();
    const dry = await push(a, ['--dry-run']);
    expect(dry).toMatchObject({ type: 'push', remote: REMOTE(), dry_run: true, present: [], unfit: [], not_local: [] });
    expect(dry.pushed).toHaveLength(NODES);
    expect(puts()).toBe(putsBefore); // a dry run asks; it sends nothing
    // Every field --json prints is the README's (Remote cache: "`--json` prints `{type: "push", …}`").
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const documented = /`--json` prints `(\{type: "push"[^`]*\})`/.exec(readme)?.[1] ?? '';
    expect(Object.keys(dry).filter((key) => !new RegExp(`\\b${key}\\b`).test(documented))).toEqual([]);
    expect(documented).not.toBe('');

    const sent = await push(a);
    expect(sent.pushed.sort()).toEqual(dry.pushed.sort());
    expect(puts() - putsBefore).toBe(2 * NODES); // a blob and a record each

    const paid = submits();
    const r = await kontext(b, ['run', 'recipe.yml', '--frozen']);
    expect(r.code, r.stderr).toBe(0);
    expect(submits()).toBe(paid);
    const files = await a.outFiles();
    expect(await b.outFiles()).toEqual(files);
    for (const f of files) expect(await readFile(join(b.root, f))).toEqual(await readFile(join(a.root, f)));

    // Again: everything is there already, nothing is sent (HEAD before PUT).
    const again = await push(a);
    expect([again.pushed, again.present.length]).toEqual([[], NODES]);
    expect(puts() - putsBefore).toBe(2 * NODES);
    const text = await kontext(a, ['push', 'recipe.yml']);
    expect(text.stdout).toContain(`push: sent 0 results to ${REMOTE()} (${NODES} results already there)`);

    // A record whose blob is gone is not "there": a run would refuse it (walk-v 2). Push sends both again.
    const node = Object.entries((await a.readLock()).nodes).sort()[0];
    if (!node) throw new Error('no lock entry');
    const sha = node[1].output_sha256;
    await s3().deleteObject(`push/v1/blobs/${sha.slice(0, 2)}/${sha}`);
    const named = (await push(a, ['--dry-run'])).pushed;
    expect(named).toContain(node[0]);
    expect((await push(a)).pushed.sort()).toEqual(named.sort());
    expect(puts() - putsBefore).toBe(2 * NODES + 2);
    expect(await s3().readObject(`push/v1/blobs/${sha.slice(0, 2)}/${sha}`)).not.toBeNull();
  }, 180_000);

  it('with the cache deleted, sends what the lock and out/ prove (adopted first); names what would run', async () => {
    const a = await paidLocally(YAML.replace('light grey', 'dark grey'));
    await rm(a.cacheDir, { recursive: true, force: true });
    // A pass added since: its nodes would be paid for, so they are not pushed.
    await a.writeRecipe(
      `${YAML.replace('light grey', 'dark grey')}  - id: frame\n    prompt: Add a thin black frame.\n`,
    );
    const sent = await push(a);
    expect(sent.pushed).toHaveLength(NODES);
    expect(sent.not_local.sort()).toEqual(
      ['pet-chelsea', 'portrait-astronaut', 'product-coffee', 'scene-rocket'].map((s) => `frame@${s}`),
    );
    const text = await kontext(a, ['push', 'recipe.yml']);
    expect(text.stdout).toContain('4 nodes not up to date here, so not pushed');
  }, 180_000);

  it('never sends a damaged local blob: mended from out/ when the file proves it, else not pushed', async () => {
    const a = await paidLocally(YAML.replace('light grey', 'white'));
    const lock = await a.readLock();
    const [mended, lost] = [lock.nodes['warm@pet-chelsea'], lock.nodes['warm@scene-rocket']];
    if (!mended || !lost) throw new Error('lock entries missing');
    const blobOf = (sha: string): string => join(a.cacheDir, 'blobs', sha.slice(0, 2), sha);
    expect(await readdir(join(a.cacheDir, 'blobs'))).toContain(mended.output_sha256.slice(0, 2));
    for (const e of [mended, lost]) await writeFile(blobOf(e.output_sha256), 'not the bytes of its name');
    await writeFile(join(a.root, lost.output), 'edited by hand'); // the lock no longer proves this one

    const r = await push(a);
    expect(r.pushed).toHaveLength(NODES - 1);
    expect(r.not_local).toEqual(['warm@scene-rocket']);
    const remoteBlob = (sha: string): Promise<{ body: Buffer } | null> =>
      s3().readObject(`push/v1/blobs/${sha.slice(0, 2)}/${sha}`);
    expect((await remoteBlob(mended.output_sha256))?.body).toEqual(await readFile(blobOf(mended.output_sha256)));
    expect(await remoteBlob(lost.output_sha256)).toBeNull();
  }, 180_000);

  it('a cached result that is not an image is not sent: exit 65 naming it, after sending the rest', async () => {
    const a = await paidLocally(YAML.replace('light grey', 'sand'));
    const lock = await a.readLock();
    const entry = lock.nodes['warm@product-coffee'];
    if (!entry) throw new Error('lock entry missing');
    // The cache's record now names bytes that hash right but are no image; no lock or out/ to mend it from.
    const store = await openStore(a.cacheDir);
    const record = await store.getRecord(entry.key);
    if (!record) throw new Error('record missing');
    await store.putRecord({ ...record, output_sha256: await store.putBlob(Buffer.from('plain text, no image')) });
    await store.flush();
    await rm(a.lockPath);
    await rm(join(a.root, 'out'), { recursive: true });

    const r = await kontext(a, ['push', 'recipe.yml', '--json']);
    expect(r.code, r.stderr).toBe(65);
    const out = JSON.parse(r.stdout) as PushJson;
    expect(out.unfit).toEqual([{ node: 'warm@product-coffee', why: 'its blob is not an image' }]);
    expect(out.pushed).toHaveLength(NODES - 1);
    const text = await kontext(a, ['push', 'recipe.yml']);
    expect(text.code).toBe(65);
    expect(text.stdout).toContain('not pushed warm@product-coffee: its blob is not an image');
  }, 180_000);

  it('Ctrl-C stops a push at once (exit 130); the next push sends the rest', async () => {
    const a = await paidLocally(YAML.replace('light grey', 'olive'));
    const proxy = await startS3Proxy(s3().endpoint, { holdWritesMs: 30_000 });
    try {
      const c = spawnCli(['push', 'recipe.yml'], { cwd: a.root, env: env(a, { AWS_ENDPOINT_URL_S3: proxy.endpoint }) });
      const started = Date.now();
      while (!proxy.seen.some((r) => r.startsWith('PUT ')) && Date.now() - started < 20_000)
        await new Promise((r) => setTimeout(r, 50));
      expect(proxy.seen.some((r) => r.startsWith('PUT '))).toBe(true);
      const killedAt = Date.now();
      c.child.kill('SIGINT');
      const r = await c.done;
      expect(r.code, r.stderr).toBe(130);
      expect(Date.now() - killedAt).toBeLessThan(5_000); // not held until the proxy lets the writes go (30 s)
    } finally {
      await proxy.close();
    }
    const rest = await push(a);
    expect(rest.pushed.length + rest.present.length).toBe(NODES);
    expect(rest.unfit).toEqual([]);
  }, 180_000);

  it("a run's upload notes: one marked replace overwrites a broken remote record; another remote's stays", async () => {
    const a = await paidLocally(YAML.replace('light grey', 'cream'));
    expect((await push(a)).pushed).toHaveLength(NODES);
    const lock = await a.readLock();
    const [broken, other] = [lock.nodes['warm@pet-chelsea'], lock.nodes['warm@scene-rocket']];
    if (!broken || !other) throw new Error('lock entries missing');
    // The remote's record of one key goes bad (another prompt), and a run that refused it noted its
    // upload as a replacement; a note for some other remote sits beside it.
    const recordKey = `push/v1/records/${broken.key.slice(0, 2)}/${broken.key}.json`;
    const good = (await s3().readObject(recordKey))?.body.toString() ?? '';
    const forged = { ...(JSON.parse(good) as Record<string, unknown>), prompt: 'Something else entirely.' };
    const location = parseRemoteUrl(REMOTE(), 'test');
    const bucket = openBucket(location, { ...TEST_AWS_ENV, AWS_ENDPOINT_URL_S3: s3().endpoint });
    await bucket.write(recordKey, Buffer.from(JSON.stringify(forged)), 'application/json');
    bucket.close();
    const notes = join(a.cacheDir, 'remote-pending');
    await mkdir(notes, { recursive: true });
    await writeFile(join(notes, broken.key), `${REMOTE()}\nreplace\n`);
    await writeFile(join(notes, other.key), 's3://another-bucket/x');

    const dry = await push(a, ['--dry-run']);
    expect(dry.pushed).toEqual(['warm@pet-chelsea']);
    const sent = await push(a);
    expect(sent.pushed).toEqual(['warm@pet-chelsea']);
    expect((await s3().readObject(recordKey))?.body.toString()).toBe(good);
    expect((await readdir(notes)).sort()).toEqual([other.key]); // this remote's note cleared, the other's kept
  }, 180_000);

  it.each([
    ['no remote cache set up', 64, { KONTEXT_REMOTE_CACHE: '' }, /no remote cache is set up/],
    ['the remote down', 75, 'down', /is not usable/],
    ['read-only keys', 77, 'deny', /refused the upload/],
  ] as const)(
    '%s: exit %i, one line, nothing sent',
    async (_, code, how, said) => {
      const a = await paidLocally(YAML.replace('light grey', `grey ${code}`));
      const proxy = how === 'deny' ? await startS3Proxy(s3().endpoint, { denyWrites: true }) : undefined;
      try {
        let extra: Record<string, string> = how === 'down' || how === 'deny' ? {} : how;
        if (how === 'down') extra = { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await closedPort()}` };
        if (how === 'deny') extra = { AWS_ENDPOINT_URL_S3: proxy?.endpoint ?? '' };
        const putsBefore = puts();
        const r = await kontext(a, ['push', 'recipe.yml'], extra);
        expect(r.code, r.stderr).toBe(code);
        expect(
          r.stderr
            .trim()
            .split('\n')
            .filter((l) => said.test(l)),
        ).toHaveLength(1);
        expect(r.stderr + r.stdout).not.toContain(TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY);
        expect(puts()).toBe(putsBefore);
      } finally {
        await proxy?.close();
      }
    },
    180_000,
  );

  it('keys that may write but not read (a CI uploader): every result sent, the record not asked twice', async () => {
    const a = await paidLocally(YAML.replace('light grey', 'grey write-only'));
    const denied = '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
    const proxy = await startS3Proxy(s3().endpoint, {
      answer: (req, res) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') return false;
        res.writeHead(403, { 'content-type': 'application/xml' }).end(req.method === 'GET' ? denied : undefined);
        return true;
      },
    });
    try {
      const putsBefore = puts();
      const sent = await push(a, [], { AWS_ENDPOINT_URL_S3: proxy.endpoint });
      expect(sent.pushed).toHaveLength(NODES);
      expect(puts() - putsBefore).toBe(2 * NODES);
      // Per result: the record read (denied), the blob asked for (denied), the two PUTs.
      expect(proxy.seen.filter((r) => r.startsWith('HEAD') && r.includes('/records/'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 180_000);

  it("refuses the recipe's own remote unless trusted (77), as a run uploads there only when trusted", async () => {
    const named = YAML.replace('provider: runcomfy', `provider: runcomfy\ncache: { remote: "${REMOTE()}/named" }`);
    const a = await paidLocally(named.replace('light grey', 'pale blue'));
    const refused = await kontext(a, ['push', 'recipe.yml'], { KONTEXT_REMOTE_CACHE: '' });
    expect(refused.code, refused.stderr).toBe(77);
    expect(refused.stderr).toMatch(/is named by recipe\.yml, which may not choose where your results go/);
    const trusted = await push(a, ['--trust-recipe-hosting'], { KONTEXT_REMOTE_CACHE: '' });
    expect(trusted).toMatchObject({ remote: `${REMOTE()}/named` });
    expect(trusted.pushed).toHaveLength(NODES);
  }, 180_000);
});
