/**
 * No two source files whose paths differ only in letter case or Unicode form (`Photo.jpg` and
 * `photo.jpg`, `Assets/a.jpg` and `assets/a.jpg`). Linux holds both; a clone on macOS, Windows
 * or an exFAT disk holds one file under that name (git checks both out onto it, one's bytes
 * lost), so its glob finds other instances, named otherwise, and the lock names outputs the
 * files there do not match: a hand-edit refusal (exit 65) on every run there, or a paid request
 * for each. The output-collision rule compares outputs the same way (util/fold-path.ts). One
 * file named by two sources is that file twice, as written: not a collision.
 */
import path from 'node:path';
import type { Problem } from '../../errors.js';
import { foldPath } from '../../util/fold-path.js';
import type { Rule } from './context.js';

export const sourceCaseTwins: Rule = (ctx) => {
  const first = new Map<string, { readonly file: string; readonly source: string }>();
  const out: Problem[] = [];
  const shown = (file: string): string => JSON.stringify(path.relative(ctx.dir, file) || file);
  for (const source of ctx.sources.values()) {
    for (const { path: file } of source.instances) {
      if (file === undefined) continue;
      const key = foldPath(file);
      const twin = first.get(key);
      if (twin === undefined) first.set(key, { file, source: source.name });
      if (twin === undefined || twin.file === file) continue;
      const whose = twin.source === source.name ? '' : ` (source "${twin.source}")`;
      out.push(
        ctx.report({
          code: 'source-case-collision',
          path: ['sources', source.name],
          message:
            `source "${source.name}" names ${shown(file)}, which differs from ${shown(twin.file)}${whose} ` +
            'only in case or Unicode form',
          hint:
            'macOS, Windows and exFAT disks hold them as one file: a clone there has only one of them, ' +
            'and its runs refuse or pay again; rename one',
        }),
      );
    }
  }
  return out;
};
