/**
 * A page build of the watch server that failed for a bug in kontext's own report code (a plain
 * `Error`, not a `KontextError`), or because the page cannot be written where it goes. It must not
 * stop the watch run beside it (which would cancel its queued requests): the page shows it (the
 * data's `buildErrors`, apart from the recipe's own problems), the terminal is told once, and the
 * next rebuild tries again.
 */
export class BuildFailures {
  /** The line last told, until a build succeeds: the same failure rebuild after rebuild is told once. */
  #told: string | null = null;

  constructor(private readonly onWarning: ((message: string) => void) | undefined) {}

  /** The line the page shows for `e` (not a `KontextError`), told to `onWarning` unless just told. */
  failed(e: unknown): string {
    const what = e instanceof Error ? e.message : String(e);
    const line =
      `the review page could not be built: ${what} (an internal error, please report it; ` +
      'the run and the watch go on, and the page is built again at the next change)';
    this.#tell(line);
    return line;
  }

  /**
   * A page that cannot be written where it goes (a folder in its place, a read-only or full disk:
   * exit 73's problems, `lines`): the page says it, and the terminal is told once too, since a
   * page that no longer updates is easy to miss. A recipe's own problems are the watch's to tell.
   */
  unwritable(lines: readonly string[]): void {
    this.#tell(`the review page could not be built: ${lines.join('; ')} (the run and the watch go on)`);
  }

  #tell(line: string): void {
    if (line !== this.#told) {
      this.#told = line;
      // A listener that throws must not turn a page's failure into the watch's.
      try {
        this.onWarning?.(line);
      } catch {
        // nothing more to tell it with
      }
    }
  }

  /** A build succeeded: the next failure is told again. */
  built(): void {
    this.#told = null;
  }
}
