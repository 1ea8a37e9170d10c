import { describe, expect, it } from 'vitest';
import { lookupModel } from '../../../src/models/registry.js';
import type { ModelEntry } from '../../../src/models/types.js';
import { readBflStatus } from '../../../src/providers/bfl/status.js';
import { ApiHostRefusedError, assertApiUrl, hostPatterns } from '../../../src/providers/wire/hosts.js';
import { imageForEntry } from '../../../src/providers/wire/image-input.js';
import { classifyHttpError, detailText } from '../../../src/providers/wire/map-status.js';

describe('host patterns', () => {
  const bflApi = hostPatterns(['api*.bfl.ai']);
  const falMedia = hostPatterns(['*.fal.media']);
  it.each([
    ['api.bfl.ai', true],
    ['api.us1.bfl.ai', true],
    ['api.eu.bfl.ai', true],
    ['API.BFL.AI', true],
    ['bfl.ai', false],
    ['evil.bfl.ai', false],
    ['api.bfl.ai.evil.com', false],
    ['apibfl.ai', false],
    ['api..bfl.ai', false],
  ])('api*.bfl.ai vs %s → %s', (host, ok) => expect(bflApi(host)).toBe(ok));
  it.each([
    ['v3.fal.media', true],
    ['fal.media', false],
    ['v3.fal.media.evil.test', false],
    ['evilfal.media', false],
  ])('*.fal.media vs %s → %s', (host, ok) => expect(falMedia(host)).toBe(ok));
});

describe('assertApiUrl: where the key may go', () => {
  const rule = {
    trusted: hostPatterns(['api*.bfl.ai']),
    baseUrl: 'http://127.0.0.1:4000',
    allowHosts: ['127.0.0.1:5000'],
    label: 'BFL',
    patterns: 'api*.bfl.ai',
    secrets: ['k3y-secret'],
  };
  it.each([
    'https://api.us1.bfl.ai/v1/get_result?id=1',
    'http://127.0.0.1:4000/v1/get_result?id=1',
    'http://127.0.0.1:5000/v1/get_result?id=1',
  ])('accepts %s', (url) => expect(() => assertApiUrl(url, rule, 'polling_url')).not.toThrow());
  it.each([
    'http://api.us1.bfl.ai/v1/get_result?id=1',
    'https://api.bfl.ai@evil.test/v1/get_result',
    'https://api.bfl.ai.evil.test/v1/get_result',
    'http://127.0.0.1:6000/v1/get_result',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s (exit 65)', (url) => {
    expect(() => assertApiUrl(url, rule, 'polling_url')).toThrow(ApiHostRefusedError);
  });
});

describe('FastAPI error bodies', () => {
  it.each([
    [401, { detail: 'Not authenticated' }, 'auth'],
    [403, { detail: 'Forbidden' }, 'auth'],
    [403, { detail: 'User is locked. Reason: Exhausted balance.' }, 'balance'],
    [402, { detail: 'Insufficient credits' }, 'balance'],
    [422, { detail: [{ loc: ['body', 'seed'], msg: 'bad', type: 'int_parsing' }] }, 'input'],
    [422, { detail: [{ loc: ['body', 'prompt'], msg: 'flagged', type: 'content_policy_violation' }] }, 'moderated'],
    [429, { detail: 'Too many active tasks' }, 'rate'],
    [408, undefined, 'rate'],
    [500, undefined, 'unavailable'],
    [504, { detail: 'Request timed out', error_type: 'request_timeout' }, 'unavailable'],
    [404, { detail: 'Not Found' }, 'input'],
  ] as const)('HTTP %i %j → %s', (status, body, kind) => expect(classifyHttpError(status, body)).toBe(kind));

  it('reads detail lists as "field: msg"', () => {
    const body = { detail: [{ loc: ['body', 'aspect_ratio'], msg: 'must be W:H', type: 'x' }, { msg: 'second' }] };
    expect(detailText(body)).toBe('aspect_ratio: must be W:H; second');
    expect(detailText(undefined, '<html>bad gateway</html>')).toBe('<html>bad gateway</html>');
  });
});

describe('BFL status words', () => {
  it.each([
    [{ status: 'Pending' }, 'running'],
    [{ status: 'Ready' }, 'done'],
    [{ status: 'Error' }, 'failed'],
    [{ status: 'Failed' }, 'failed'],
    [{ status: 'Request Moderated' }, 'moderated'],
    [{ status: 'Content Moderated' }, 'moderated'],
    [{ status: 'Task not found' }, 'not-found'],
    [{ state: 'Ready' }, 'done'],
    [{ status: 'Generating' }, 'running'],
    [{ status: 'constructor' }, 'running'],
    [{}, 'running'],
  ])('%j → %s', (body, phase) => expect(readBflStatus(body).phase).toBe(phase));
});

describe('the input image per the model table', () => {
  const bfl = lookupModel('bfl', 'flux-kontext-pro') as ModelEntry;
  const fal = lookupModel('fal', 'flux-kontext-pro') as ModelEntry;
  const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
  it('BFL gets raw base64 (no data: prefix) or the URL; fal the data URI or the URL', () => {
    expect(imageForEntry(bfl, `data:image/png;base64,${png}`, 'BFL')).toBe(png);
    expect(imageForEntry(fal, `data:image/png;base64,${png}`, 'fal')).toBe(`data:image/png;base64,${png}`);
    expect(imageForEntry(bfl, 'https://x.test/a.png', 'BFL')).toBe('https://x.test/a.png');
  });
  it('refuses an inline image over the cap (413, pointing at hosting:) and what is neither form', () => {
    const big = `data:image/png;base64,${'A'.repeat(Math.ceil(((bfl.image.inlineMaxBytes ?? 0) + 3) / 3) * 4)}`;
    expect(() => imageForEntry(bfl, big, 'BFL')).toThrow(/is 10\.000005 MiB inline, over the 10 MiB BFL accepts/);
    expect(() => imageForEntry(bfl, 'ftp://x/a.png', 'BFL')).toThrow(/neither/);
  });
});
