/**
 * A machine whose clock is off by more than S3's 15 minutes: s3rver, as S3, refuses what it
 * signs with 403 RequestTimeTooSkewed (a HEAD's 403 bodiless). Its remote cache signs again with
 * the server's time (the reply's `Date`), so it still gets its hits and its uploads land, instead
 * of a "read denied" miss and every result paid again (walk-ae 1).
 */
import { describe, expect, it } from 'vitest';
import { runIn, summaryOf } from '../../helpers/run-fixtures.js';
import { notices, putKeys, useWorld, warnings } from './harness.js';

const world = useWorld();
const HOUR = 3_600_000;

describe('a clock that is off', () => {
  it('one 3 h ahead uploads what it pays for; one 2 h behind gets every result from the remote', async () => {
    const w = world();
    const ahead = await runIn(w.a, {}, { rig: w.rig, env: w.env(), now: () => Date.now() + 3 * HOUR });
    expect(summaryOf(ahead)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(warnings(ahead)).toEqual([]);
    expect(putKeys(w.s3)).toHaveLength(10);
    // It was refused, then signed with the server's time.
    expect(w.s3.requests.some((r) => r.status === 403)).toBe(true);

    const behind = await runIn(w.b, {}, { rig: w.rig, env: w.env(), now: () => Date.now() - 2 * HOUR });
    expect(summaryOf(behind)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    expect([...warnings(behind), ...notices(behind)].filter((m) => /denied|not usable/.test(m))).toEqual([]);
    expect(w.rig.submits()).toHaveLength(5);
  });
});
