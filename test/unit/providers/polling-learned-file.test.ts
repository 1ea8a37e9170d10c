import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LearnedTimesBook } from '../../../src/providers/polling/learned-file.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'kontext-poll-times-'));

describe('LearnedTimesBook', () => {
  it('saves times per provider + model and a new book starts from them', async () => {
    const dir = tempDir();
    const a = new LearnedTimesBook('replicate', dir);
    const pro = await a.forModel('black-forest-labs/flux-kontext-pro');
    const max = await a.forModel('black-forest-labs/flux-kontext-max');
    for (const ms of [4000, 5000, 6000]) pro.recordDuration(ms);
    max.recordDuration(9000);
    await a.save();
    expect(readdirSync(dir)).toHaveLength(2);
    const b = new LearnedTimesBook('replicate', dir);
    expect((await b.forModel('black-forest-labs/flux-kontext-pro')).sorted()).toEqual([4000, 5000, 6000]);
    expect((await b.forModel('black-forest-labs/flux-kontext-max')).snapshot()).toEqual([9000]);
    expect((await new LearnedTimesBook('fal', dir).forModel('black-forest-labs/flux-kontext-pro')).snapshot()).toEqual(
      [],
    );
  });

  it('a wait uses the times of its request’s model, else the client-wide ones', async () => {
    const book = new LearnedTimesBook('runcomfy', undefined);
    const t = await book.forModel('m');
    book.note('req-1', 'm');
    expect(book.forRequest('req-1')).toBe(t);
    expect(book.forRequest('unknown')).not.toBe(t);
  });

  it('a corrupt, hostile or huge file means nothing learned, and is replaced on save', async () => {
    const dir = tempDir();
    const book = new LearnedTimesBook('bfl', dir);
    await (await book.forModel('m')).recordDuration(1);
    await book.save();
    const [name] = readdirSync(dir);
    const file = join(dir, name ?? '');
    for (const text of [
      '{not json',
      '{"samples":[-5,"x",1e12,null]}',
      JSON.stringify({ samples: 'x'.repeat(20_000) }),
    ]) {
      writeFileSync(file, text);
      expect((await new LearnedTimesBook('bfl', dir).forModel('m')).snapshot()).toEqual([]);
    }
    const fresh = new LearnedTimesBook('bfl', dir);
    (await fresh.forModel('m')).recordDuration(7);
    await fresh.save();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, samples: [7] });
  });

  it('an unwritable folder is no error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const book = new LearnedTimesBook('x', join(dir, 'file', 'below'));
    (await book.forModel('m')).recordDuration(3);
    await expect(book.save()).resolves.toBeUndefined();
  });
});
