/**
 * Durations as people read them in a progress line: `850 ms`, `12.3 s`, `2 m 03 s`, `1 h 05 m`.
 * Rounding happens before the unit is chosen, so 59,960 ms reads `1 m 00 s`, never `60.0 s`.
 */

/** A duration in milliseconds, rounded to the precision its size deserves. */
export function formatDuration(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (Math.round(safe) < 1000) return `${Math.round(safe)} ms`;
  const tenths = Math.round(safe / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(safe / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${pad2(seconds % 60)} s`;
  const minutes = Math.round(safe / 60_000);
  return `${Math.floor(minutes / 60)} h ${pad2(minutes % 60)} m`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
