/**
 * Where `kontext report` writes: `<out>/report/` holds `index.html` and the folders of
 * thumbnails, input previews and change maps. A pass may itself be called `report` (its outputs
 * are `<out>/report/<instance>.<ext>` files), so only these names belong to the report: `status`
 * does not list them as orphans and `clean` leaves them alone.
 */
import { join, relative, sep } from 'node:path';

export const REPORT_DIR = 'report';
export const REPORT_INDEX = 'index.html';
/** Sub-folders of the report, each content-addressed (`<sha256>.<ext>`). */
export const REPORT_ASSET_DIRS = ['thumbs', 'inputs', 'maps'] as const;

/** The report's image folders under `outDir` (every file inside them is the report's). */
export function reportAssetDirs(outDir: string): string[] {
  return REPORT_ASSET_DIRS.map((d) => join(outDir, REPORT_DIR, d));
}

/** True when `file` (absolute) is the report page or one of its assets under `outDir`. */
export function isReportFile(outDir: string, file: string): boolean {
  const rel = relative(join(outDir, REPORT_DIR), file);
  if (rel === '' || rel.startsWith('..')) return false;
  const parts = rel.split(sep);
  if (parts.length === 1) return parts[0] === REPORT_INDEX || parts[0]?.startsWith(`.${REPORT_INDEX}.`) === true;
  return (REPORT_ASSET_DIRS as readonly string[]).includes(parts[0] ?? '');
}
