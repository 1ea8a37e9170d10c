/**
 * A local source is what kontext uploads, so a recipe must not be able to point one at a
 * secret: each source file (and every glob match) must really be an image — judged by its
 * magic bytes, not its name — and must really live inside the project root or a folder the
 * user allowed (`allowed_source_roots` in the user config), after following symlinks. A
 * "photo" that is a link to `~/.ssh/id_rsa`, or `.env` named as a source, is refused before
 * anything is hashed or hosted.
 */
import path from 'node:path';
import { isWithin, realPathDeep } from '../../util/real-path.js';
import { lfsPointerAt } from '../../util/lfs-pointer.js';
import { isUnreadable } from '../../util/read-failure.js';
import { otherImageKindOfFile, sniffImageFile } from '../../util/sniff-file.js';
import { expandBraces, GlobPatternError, splitPattern } from './glob-pattern.js';
import { rootFallbackNote } from '../project-root.js';

/** Image kinds a source may be, for messages. */
export const SOURCE_KINDS = 'PNG, JPEG, WebP, GIF, AVIF or HEIC';

export type SourceVerdict =
  /** `real`: where the file really is, through symlinks (a glob folds the paths leading to one file). */
  | { readonly ok: true; readonly real: string }
  | { readonly ok: false; readonly code: 'source-outside-root'; readonly real: string; readonly linked: boolean }
  /**
   * `lfs`: the file is a git LFS pointer (a checkout without git-lfs), not the image it names;
   * `kind`: an image of a kind kontext does not send (`TIFF`, `SVG`), when it is one.
   */
  | { readonly ok: false; readonly code: 'source-not-image'; readonly lfs: boolean; readonly kind: string | null }
  /** This user may not read it (`errno`: EACCES or EPERM). */
  | { readonly ok: false; readonly code: 'source-unreadable'; readonly errno: string };

/** `roots`: absolute, each as written and as realpath (see withRealRoots). */
async function checkSourceFile(file: string, roots: readonly string[]): Promise<SourceVerdict> {
  const lexical = path.resolve(file);
  const real = await realPathDeep(lexical);
  if (!roots.some((root) => isWithin(root, real))) {
    return { ok: false, code: 'source-outside-root', real, linked: real !== lexical };
  }
  let kind: Awaited<ReturnType<typeof sniffImageFile>>;
  try {
    kind = await sniffImageFile(real);
  } catch (e) {
    if (!isUnreadable(e)) throw e;
    return { ok: false, code: 'source-unreadable', errno: String((e as { code?: unknown }).code) };
  }
  if (kind !== null) return { ok: true, real };
  const lfs = lfsPointerAt(real) !== null;
  return { ok: false, code: 'source-not-image', lfs, kind: lfs ? null : otherImageKindOfFile(real) };
}

/**
 * The message for a refused source: `shown` is the file as the recipe names it; `allowed.configFile`
 * the user config whose `allowed_source_roots` the hint names; `recipeDir` the recipe's folder.
 */
export function sourceVerdictText(
  verdict: Exclude<SourceVerdict, { ok: true }>,
  shown: string,
  allowed: { readonly projectRoot: string; readonly configFile: string },
  recipeDir: string,
): { readonly message: string; readonly hint: string } {
  const { projectRoot } = allowed;
  if (verdict.code === 'source-not-image' && verdict.lfs) {
    return {
      message: `"${shown}" is a git LFS pointer, not the image: the checkout did not fetch LFS files`,
      hint: 'run "git lfs pull"; in CI, check out with LFS',
    };
  }
  if (verdict.code === 'source-unreadable') {
    return {
      message: `"${shown}" cannot be read (${verdict.errno}: no permission)`,
      hint: 'make it readable by this user (chmod, or chown to its owner), or run kontext as the user who owns it',
    };
  }
  if (verdict.code === 'source-not-image' && verdict.kind !== null) {
    return {
      message:
        `"${shown}" is not a supported image kind (${verdict.kind}; kontext sends ${SOURCE_KINDS}); ` +
        'kontext uploads sources, so it refuses to read it',
      hint: `convert it to one of those (PNG keeps every pixel${verdict.kind === 'SVG' ? ', at the size wanted' : ''})`,
    };
  }
  if (verdict.code === 'source-not-image') {
    return {
      message:
        `"${shown}" is not an image (its first bytes are not ${SOURCE_KINDS}); ` +
        'kontext uploads sources, so it refuses to read it',
      hint: 'point the source at an image file',
    };
  }
  const where = verdict.linked ? `is a symlink to ${verdict.real}, which is` : 'is';
  return {
    message:
      `"${shown}" ${where} outside the project root ${projectRoot}; ` +
      'kontext uploads sources, so they must live in the project',
    hint:
      'move or copy the image into the project, or add its folder to allowed_source_roots ' +
      `in your user config (${allowed.configFile})${rootFallbackNote(recipeDir)}`,
  };
}

/**
 * The folder a glob would start listing at (its static prefix, through symlinks) when that folder
 * is outside every allowed root: `../**` or `/**` would otherwise walk the whole parent folder or
 * disk, listing what is outside the project, only to refuse each match afterwards. Undefined when
 * every alternative starts inside (or the pattern is bad: the glob's own check reports that).
 */
export async function globStartOutside(
  spec: string,
  dir: string,
  roots: readonly string[],
): Promise<string | undefined> {
  let starts: { base: string[]; absolute: boolean }[];
  try {
    starts = expandBraces(spec).map(splitPattern);
  } catch (e) {
    // Too many alternatives or segments: the glob's own expansion says so, at the source.
    if (e instanceof GlobPatternError) return undefined;
    throw e;
  }
  for (const { base, absolute } of starts) {
    const start = absolute ? path.resolve('/', ...base) : path.resolve(dir, ...base);
    const real = await realPathDeep(start);
    if (!roots.some((root) => isWithin(root, real))) return real;
  }
  return undefined;
}

/** Check many files, a bounded number at a time (a glob may match thousands). */
export async function checkSourceFiles(
  files: readonly string[],
  roots: readonly string[],
  limit = 32,
): Promise<SourceVerdict[]> {
  const out: SourceVerdict[] = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      out[i] = await checkSourceFile(files[i] as string, roots);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, files.length) }, worker));
  return out;
}
