import { describe, expect, it } from 'vitest';
import { parseReplyJson } from '../../../src/providers/runcomfy/transport.js';

const nested = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('parseReplyJson: a reply nested deeper than 64 levels is unreadable', () => {
  it('parses 64 levels, refuses 65, of arrays, objects or both', () => {
    expect(parseReplyJson(nested(64))).toBeDefined();
    expect(parseReplyJson(nested(65))).toBeUndefined();
    const objects = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
    expect(parseReplyJson(objects(64))).toBeDefined();
    expect(parseReplyJson(objects(65))).toBeUndefined();
    expect(parseReplyJson(`{"x":${nested(64)}}`)).toBeUndefined();
    expect(parseReplyJson(`{"x":${nested(63)}}`)).toBeDefined();
  });

  it('counts nesting, not brackets: many shallow ones, or brackets in strings, are fine', () => {
    const siblings = `[${Array.from({ length: 200 }, () => '{"a":[1]}').join(',')}]`;
    expect(parseReplyJson(siblings)).toHaveLength(200);
    const inString = JSON.stringify({ error_message: '['.repeat(500), status: 'failed' });
    expect(parseReplyJson(inString)).toEqual({ error_message: '['.repeat(500), status: 'failed' });
    const escaped = JSON.stringify({ s: `\\"${'{'.repeat(100)}` });
    expect(parseReplyJson(escaped)).toEqual({ s: `\\"${'{'.repeat(100)}` });
  });

  it('a usual reply, and text that is not JSON', () => {
    expect(parseReplyJson('{"request_id":"r-1","status":"in_queue","queue_position":3}')).toEqual({
      request_id: 'r-1',
      status: 'in_queue',
      queue_position: 3,
    });
    expect(parseReplyJson('<html>502</html>')).toBeUndefined();
    expect(parseReplyJson('')).toBeUndefined();
  });
});
