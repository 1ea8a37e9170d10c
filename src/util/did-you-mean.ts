/** "Did you mean …?" suggestions: the closest candidate by edit distance, if it is close. */

/**
 * Edit distance where swapping two neighbours counts as one edit (optimal string alignment),
 * since `modle` for `model` is the most common typo of all.
 */
export function editDistance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur[j] = d;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidate closest to `word`, when the distance is small for its length (a third of the
 * word, at least 1); case differences and a prefix of 3+ letters count as close. `undefined` when nothing is near.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    // Case differences are cheap: `Jacket` is close to `jacket`.
    const lw = word.toLowerCase();
    const lc = c.toLowerCase();
    // Case differences are cheap (`Jacket` for `jacket`), and so is a clear prefix (`emu`).
    const d = lc.startsWith(lw) && lw.length >= 3 ? 1 : editDistance(lw, lc) || 0.5;
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `did you mean "x"?`, or `undefined`. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closest(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}
