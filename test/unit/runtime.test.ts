/** The runtime carries the process identity the lock file's inter-process lock needs. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';

describe('createRuntime', () => {
  it('defaults to this process and a real liveness check', () => {
    const rt = createRuntime();
    expect(rt.pid).toBe(process.pid);
    expect(rt.isAlive(process.pid)).toBe(true);
    const exited = spawnSync(process.execPath, ['-e', '0']);
    expect(exited.pid).toBeGreaterThan(0);
    expect(rt.isAlive(exited.pid)).toBe(false);
  });

  it('takes both as overrides', () => {
    const rt = createRuntime({ pid: 4242, isAlive: () => false });
    expect(rt.pid).toBe(4242);
    expect(rt.isAlive(process.pid)).toBe(false);
  });
});
