/** Node system errors by code (`ENOENT`, `EXDEV`, …), for the store's file operations. */

/** Whether `e` is a Node system error with one of these codes (util/errno.ts). */
export { isCode } from '../util/errno.js';

/**
 * What link(2) says where the file system has no hard links (exFAT, FAT, many network shares):
 * EPERM on Linux, ENOTSUP on macOS, EOPNOTSUPP or ENOSYS elsewhere. For a temp file of our own in
 * the target's folder, nothing else gives these. (The claim thread's source repeats the list.)
 */
export const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'] as const;
