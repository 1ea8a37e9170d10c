/**
 * Running the built CLI under `strace` and reading its output (`-f -yy`: every fd shown with its
 * path), for tests that check which renames are fsynced in their folder and which thread makes
 * them: durable-renames.test.ts, merge-lock-write.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './run-fixtures.js';

/** Why strace cannot trace here (ptrace refused in this container), or null when it can. */
export function cannotTrace(): string | null {
  const probe = spawnSync('strace', ['-f', '-qq', '-e', 'trace=none', 'true'], { encoding: 'utf8' });
  if (probe.error)
    throw new Error(`strace is needed for this test (apt-get install -y strace): ${probe.error.message}`);
  return probe.status === 0 ? null : `strace cannot trace here: ${probe.stderr.trim().split('\n')[0] ?? ''}`;
}

/** One system call: where it started and ended in the trace (line numbers), its name and arguments. */
interface Call {
  readonly name: string;
  readonly args: string;
  readonly start: number;
  end: number;
  ok: boolean;
}

/** Parse `strace -f` output: a call split across lines (`<unfinished ...>`, `<... x resumed>`) is joined. */
export function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  const open = new Map<string, Call>();
  text.split('\n').forEach((line, i) => {
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed) {
      const call = open.get(`${resumed[1]}:${resumed[2]}`);
      if (!call) return;
      open.delete(`${resumed[1]}:${resumed[2]}`);
      call.end = i;
      call.ok = /\)\s+= \d+/.test(resumed[3] as string);
      return;
    }
    const m = /^(\d+)\s+(\w+)\((.*)$/.exec(line);
    if (!m) return;
    const call: Call = { name: m[2] as string, args: m[3] as string, start: i, end: i, ok: false };
    calls.push(call);
    if (/<unfinished \.\.\.>$/.test(line)) open.set(`${m[1]}:${m[2]}`, call);
    else call.ok = /\)\s+= \d+/.test(line);
  });
  return calls.filter((c) => c.ok);
}

/** The path a call names: the target of a rename or link, the folder of an fsync, the file of an unlink. */
export function pathOf(call: Call): string | null {
  const quoted = [...call.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string);
  if (/^(rename|renameat2?|link|linkat)$/.test(call.name)) return quoted.at(-1) ?? null;
  if (/^(unlink|unlinkat)$/.test(call.name)) return quoted.at(-1) ?? null;
  if (/^f(data)?sync$/.test(call.name)) return /^\d+<([^>]*)>/.exec(call.args)?.[1] ?? null;
  return null;
}

/**
 * Run the built CLI (`node dist/cli/bin.js ...args`) under `strace` with `straceArgs` (its
 * options, `-o` added here): the exit code, stdout + stderr, and the trace's text.
 */
export async function traceBuiltCli(
  straceArgs: readonly string[],
  args: readonly string[],
  options: { readonly cwd: string; readonly env: Record<string, string> },
): Promise<{ code: number | null; out: string; trace: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-strace-'));
  try {
    const traceFile = join(dir, 'trace');
    const bin = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
    const child = spawn('strace', [...straceArgs, '-o', traceFile, process.execPath, bin, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    return { code, out, trace: await readFile(traceFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
