/**
 * This process's event loop held for `ms` (`Atomics.wait`), as a process stopped with SIGSTOP or
 * a machine asleep holds it: its timers come late, all at once, and I/O meanwhile is read after.
 */
export function stopEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
