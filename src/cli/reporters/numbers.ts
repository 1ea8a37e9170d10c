/**
 * Counts and byte sizes for progress lines. Decimal units (kB, MB) as npm and most download
 * tools print them. Grouping is done by hand, not `toLocaleString`: the same on every machine,
 * and no ~20 ms ICU start-up on a no-op run.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** `10000` → `10,000`. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `512 B`, `1.2 kB`, `12.3 MB`, `123 MB`: one decimal below 100, whole numbers above. */
export function formatBytes(bytes: number): string {
  let value = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  if (value < 1000) return `${Math.round(value)} B`;
  let unit = 0;
  while (unit < UNITS.length - 1 && roundFor(value) >= 1000) {
    value /= 1000;
    unit++;
  }
  const shown = value < 100 ? value.toFixed(1) : String(Math.round(value));
  return `${shown} ${UNITS[unit] ?? 'B'}`;
}

/** The value as it would be printed, so 999.96 kB becomes 1.0 MB rather than `1000.0 kB`. */
function roundFor(value: number): number {
  return value < 100 ? Math.round(value * 10) / 10 : Math.round(value);
}

/** A download's progress: `42%` when the total is known, else the bytes so far. */
export function formatProgress(bytes: number | undefined, total: number | undefined): string {
  if (bytes === undefined) return '';
  if (total !== undefined && total > 0) return `${Math.min(100, Math.floor((bytes / total) * 100))}%`;
  return formatBytes(bytes);
}

/**
 * `$0.32`, `$1,234.50`; a sum that is not a whole number of cents keeps its digits, up to four
 * (`$0.125`: a catalog price of a fraction of a cent is not rounded away). Always two decimals at
 * least: float noise below the fourth (`1.000002`) prints `$1.00`, not `$1.`.
 */
export function formatUsd(usd: number): string {
  const digits = Math.max(2, Math.min(4, decimals(usd)));
  const [whole = '0', frac = ''] = usd.toFixed(digits).split('.');
  return `$${formatCount(Number(whole))}.${frac}`;
}

/** Decimal digits of `n` as printed to 4 places, trailing zeros dropped. */
function decimals(n: number): number {
  return (n.toFixed(4).split('.')[1] ?? '').replace(/0+$/, '').length;
}
