/**
 * Durations and sizes as people type them on the command line (`kontext gc --older-than 30d
 * --max-size 2GB`). Parsing is strict: a number, then one unit, nothing else; anything else
 * is `null` and the CLI turns it into a usage error.
 */

const DURATION_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const SIZE_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const DURATION = /^(\d+(?:\.\d+)?)([smhdw])$/;
const SIZE = /^(\d+(?:\.\d+)?)([kmgt]i?b|b)$/i;

/** `90m`, `12h`, `30d`, `2w`, `1.5h` (s, m, h, d, w) → milliseconds; `null` when not that shape. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  const unit = m?.[2] === undefined ? undefined : DURATION_MS[m[2]];
  if (!m?.[1] || unit === undefined) return null;
  const ms = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** `500MB`, `2GB`, `1.5GiB`, `800KiB`, `0B` (B, KB, MB, GB, TB powers of 1000; KiB … TiB of 1024) → bytes. */
export function parseSize(text: string): number | null {
  const m = SIZE.exec(text.trim());
  const unit = m?.[2] === undefined ? undefined : SIZE_BYTES[m[2].toLowerCase()];
  if (!m?.[1] || unit === undefined) return null;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** `1.2 MB`-style, powers of 1000 (as `--max-size 2GB` reads). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`;
}

const MIB = 1024 * 1024;

/**
 * An image's size and a size cap, both in the cap's own unit: MiB for a cap of whole MiB
 * (`6.5 MiB`, `6 MiB`: RunComfy, BFL, fal), else decimal MB (`8.0 MB`, `7 MB`: Replicate), as
 * the README and the providers state them. The size has one decimal, or as many more as it takes
 * to differ from the cap (`6.03 MiB` over `6 MiB`, not `6.0`; walk-af 10): six always do, a byte
 * being less than 0.000001 of either unit.
 */
export function sizeAgainstCap(bytes: number, cap: number): { readonly size: string; readonly cap: string } {
  const [unit, name] = cap % MIB === 0 ? [MIB, 'MiB'] : [1e6, 'MB'];
  const capped = cap / unit;
  let digits = 1;
  while (digits < 6 && bytes !== cap && Number((bytes / unit).toFixed(digits)) === capped) digits += 1;
  return {
    size: `${(bytes / unit).toFixed(digits)} ${name}`,
    cap: `${Number.isInteger(capped) ? capped : capped.toFixed(1)} ${name}`,
  };
}
