/**
 * The event `launch.ts` emits on `process` when the reader of stdout or stderr goes away
 * (`kontext run --json | head`: EPIPE). While a command runs, `main.ts` listens and winds it
 * down as at Ctrl-C; with no listener the process exits at once.
 */
export const OUTPUT_CLOSED = 'kontext:output-closed';
