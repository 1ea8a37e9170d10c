/** `kontext edit --image FILE`: the one local input must be an image too (source-guard.ts). */
import { ExitCode, KontextError } from '../../errors.js';
import { lfsPointerAt } from '../../util/lfs-pointer.js';
import { readFailure } from '../../util/read-failure.js';
import { otherImageKindOfFile, sniffImageFile } from '../../util/sniff-file.js';
import { SOURCE_KINDS } from './source-guard.js';

/** Throw exit 65 naming the file unless its first bytes are an image kind we accept. */
export async function assertImageFile(file: string, shown: string): Promise<void> {
  const kind = await sniffImageFile(file).catch((e: unknown) => Promise.reject(readFailure(e, shown, '--image')));
  if (kind !== null) return;
  if (lfsPointerAt(file) !== null)
    throw new KontextError(
      'E_SOURCE_NOT_IMAGE',
      `--image ${shown} is a git LFS pointer, not the image: the checkout did not fetch LFS files`,
      { exitCode: ExitCode.DATA_ERR, hint: 'run "git lfs pull"' },
    );
  const other = otherImageKindOfFile(file);
  if (other !== null)
    throw new KontextError(
      'E_SOURCE_NOT_IMAGE',
      `--image ${shown}: not a supported image kind (${other}; kontext sends ${SOURCE_KINDS})`,
      { exitCode: ExitCode.DATA_ERR, hint: 'convert it to one of those (PNG keeps every pixel)' },
    );
  throw new KontextError(
    'E_SOURCE_NOT_IMAGE',
    `--image ${shown}: not an image (its first bytes are not ${SOURCE_KINDS}); kontext would upload it`,
    { exitCode: ExitCode.DATA_ERR, hint: 'pass an image file' },
  );
}
