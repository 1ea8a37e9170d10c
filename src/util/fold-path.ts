/**
 * A path as a case-insensitive, normalization-insensitive file system compares it (macOS's
 * APFS, Windows's NTFS, exFAT and FAT on a USB stick, ext4 with casefold): `Final/A.png`,
 * `final/a.png` and `final/a.png` in NFD are one file there. Recipes and locks are shared with
 * teammates on such systems, so what one must never overwrite, or two must never both write, is
 * compared in this form on every platform. (Lower case after NFC, not full Unicode case folding:
 * close enough for the names recipes hold; ASCII skips the normalization.)
 */
export function foldPath(p: string): string {
  return (/^[\x00-\x7f]*$/.test(p) ? p : p.normalize('NFC')).toLowerCase();
}
