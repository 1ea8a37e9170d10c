/**
 * A recipe saved in pieces: an editor, a sync client or a network share that empties the file and
 * writes it in chunks with pauses leaves a valid recipe on disk between them (a prompt cut
 * mid-word, the last pass without its `variants:`), which the 100 ms quiet period would plan and
 * pay for (walk-ak 1). A text that no longer ends in a newline while the one the session last
 * acted on did (a cut mid-line) is held: planned only once it has stayed so for {@link CUT_QUIET_MS}
 * (the rest of the file, landing meanwhile, is planned at once). Saves that end in a newline, as
 * editors write them, are not slowed. A chunk that happens to end at a line's end is not caught.
 */

/** How long a recipe text that looks cut mid-line must stay as it is before it is planned. */
export const CUT_QUIET_MS = 1_000;

export class CutRecipes {
  /** The text the session last acted on (planned, or told invalid); `null` before the first. */
  #before: string | null = null;
  /** The cut text held, and since when (monotonic ms). */
  #held: { readonly text: string; readonly since: number } | null = null;

  /** How long to wait before planning `text` (read at `now`); 0: plan it now, the text acted on. */
  wait(text: string, now: number): number {
    const cut = this.#before?.endsWith('\n') === true && !text.endsWith('\n');
    if (cut) {
      const held = this.#held?.text === text ? this.#held : { text, since: now };
      this.#held = held;
      const left = held.since + CUT_QUIET_MS - now;
      if (left > 0) return left;
    }
    this.#held = null;
    this.#before = text;
    return 0;
  }
}
