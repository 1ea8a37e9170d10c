/**
 * Run the user's upload command once. A string runs through the platform shell exactly as
 * written; an array is spawned directly. Per-image values only ever travel as environment
 * variables, so a file named `a;$(rm -rf ~).jpg` is data, never code. The command runs in its
 * own process group so a timeout or cancel stops everything it started. Once it exits, its
 * output is read for at most a second more: a process it left in the background is not waited for.
 */
export interface CommandOutcome {
  /** `null` when killed by a signal. */
  readonly exitCode: number | null;
  /** The signal that killed it (`SIGKILL`), when one did. */
  readonly killedBy?: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. `ENOENT`). */
  readonly spawnError: NodeJS.ErrnoException | null;
  readonly timedOut: boolean;
  /** The tail of stdout / stderr (enough for the URL line and an error line). */
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * How long output is still read once the command has exited: what it wrote is already in the
 * pipe. A process it left in the background (an agent, a helper) may hold the pipe open for
 * good; waiting for it would turn a finished upload into a timeout.
 */
const EXIT_DRAIN_MS = 1000;

const STDOUT_TAIL = 64 * 1024;
const STDERR_TAIL = 8 * 1024;

function tail(current: string, chunk: Buffer, limit: number): string {
  const next = current + chunk.toString('utf8');
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/**
 * Kill the whole process group (the shell and whatever it started). `process.kill` with a
 * negative pid is the only Node API for that; it reads no global state.
 */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Run to completion, timeout or abort. Never rejects: the caller interprets the outcome. */
export async function runCommand(
  command: string | readonly string[],
  options: RunCommandOptions,
): Promise<CommandOutcome> {
  // Loaded on first use: every command imports hosting, few run an upload command.
  const { spawn } = await import('node:child_process');
  const [file, args, shell] =
    typeof command === 'string' ? [command, [], true] : [command[0] ?? '', command.slice(1), false];
  return new Promise((resolveOutcome) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | null = null;
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      shell,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const closePipes = (): void => {
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const stop = (): void => {
      killGroup(child.pid);
      closePipes();
    };
    let drain: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', stop, { once: true });
    child.stdout.on('data', (c: Buffer) => (stdout = tail(stdout, c, STDOUT_TAIL)));
    child.stderr.on('data', (c: Buffer) => (stderr = tail(stderr, c, STDERR_TAIL)));
    child.on('error', (e: NodeJS.ErrnoException) => (spawnError = e));
    // Exited: read what is in the pipes, then stop reading (background processes are left alone).
    child.on('exit', () => {
      drain = setTimeout(closePipes, EXIT_DRAIN_MS);
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(timer);
      clearTimeout(drain);
      options.signal?.removeEventListener('abort', stop);
      resolveOutcome({ exitCode: code, killedBy, spawnError, timedOut, stdout, stderr });
    });
  });
}
