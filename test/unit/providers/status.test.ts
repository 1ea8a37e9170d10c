import { describe, expect, it } from 'vitest';
import { collectUrls } from '../../../src/models/read-result.js';
import { collectOutputUrls, normalizeStatus, readStatus } from '../../../src/providers/runcomfy/status.js';

describe('normalizeStatus', () => {
  it.each([
    ['completed', 'done'],
    ['COMPLETED', 'done'],
    ['Succeeded', 'done'],
    ['cancelled', 'cancelled'],
    ['canceled', 'cancelled'],
    ['failed', 'failed'],
    ['ERROR', 'failed'],
    ['in_queue', 'queued'],
    ['IN_QUEUE', 'queued'],
    ['queued', 'queued'],
    ['pending', 'queued'],
    ['in_progress', 'running'],
    ['in-progress', 'running'],
    ['Running', 'running'],
    ['processing', 'running'],
    [' completed ', 'done'],
    ['warming_up', 'unknown'],
    ['', 'unknown'],
    [undefined, 'unknown'],
    [42, 'unknown'],
  ])('%j → %s', (word, phase) => {
    expect(normalizeStatus(word)).toBe(phase);
  });
});

describe('readStatus', () => {
  it('reads the queue position only when it is a sane number', () => {
    expect(readStatus({ status: 'in_queue', queue_position: 3 })).toEqual({
      phase: 'queued',
      word: 'in_queue',
      position: 3,
    });
    expect(readStatus({ status: 'in_queue', queue_position: '3' }).position).toBeUndefined();
    expect(readStatus({ status: 'in_queue', queue_position: -1 }).position).toBeUndefined();
    expect(readStatus({}).phase).toBe('unknown');
  });
});

describe('collectOutputUrls', () => {
  it.each([
    [{ image: 'https://a.runcomfy.net/1.png' }, ['https://a.runcomfy.net/1.png']],
    [
      { images: ['https://a.runcomfy.net/1.png', 'https://a.runcomfy.net/2.png'] },
      ['https://a.runcomfy.net/1.png', 'https://a.runcomfy.net/2.png'],
    ],
    [{ images: [{ url: 'http://127.0.0.1:9/x.png', width: 3 }] }, ['http://127.0.0.1:9/x.png']],
    ['https://a.runcomfy.net/only.png', ['https://a.runcomfy.net/only.png']],
    [
      { a: 'HTTPS://A.runcomfy.net/u.png', b: 'https://A.runcomfy.net/u.png' },
      ['HTTPS://A.runcomfy.net/u.png', 'https://A.runcomfy.net/u.png'],
    ],
    [{ a: 'https://x.runcomfy.net/d.png', b: ['https://x.runcomfy.net/d.png'] }, ['https://x.runcomfy.net/d.png']],
    [{ note: 'see ftp://x and data:image/png;base64,AA', n: 3, t: null }, []],
    [undefined, []],
  ])('%j', (output, urls) => {
    expect(collectOutputUrls(output)).toEqual(urls);
  });
});

describe('URL collection from a hostile reply with many URLs', () => {
  // With an array's includes() this took minutes (quadratic); with a Set, milliseconds.
  const many = Array.from({ length: 100_000 }, (_, i) => ({ url: `https://x.fal.media/${i % 50_000}.png` }));
  it.each([
    ['collectOutputUrls (RunComfy)', collectOutputUrls],
    ['collectUrls (BFL, fal, Replicate)', collectUrls],
  ])('%s keeps document order without duplicates', (_name, collect) => {
    const urls = collect({ images: many });
    expect(urls).toHaveLength(50_000);
    expect(urls[0]).toBe('https://x.fal.media/0.png');
    expect(urls[49_999]).toBe('https://x.fal.media/49999.png');
  });
});
