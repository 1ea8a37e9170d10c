/**
 * The watch server's `POST /api/pick`: the page's pick button. Checked (token, Host/Origin), its
 * body read (`pick-body.ts`), the node a variant of a pass that owns its variants in the data the
 * page was served, then written into the recipe only if its bytes still have the page's sha256
 * (refused with 409 once the file changed: every page is sent the recipe as saved, then told).
 * While the recipe cannot be used as saved (the data has `errors`, the recipe's own problems: the
 * page shows the last good plan, its pick buttons disabled), a pick is refused with those problems
 * at their `file:line:col`: picking again from the page could never succeed until the recipe is
 * fixed. A page that cannot be rebuilt (`buildErrors`: not writable, a bug in the report code)
 * refuses nothing: a pick writes the recipe, not the page. But the page then keeps the sha256 of
 * the recipe it last showed: once the file is saved again, a pick is refused until the page can
 * be rebuilt, and the answer says why (not "look again", which could never help).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { isKontextError, problemLines } from '../../errors.js';
import type { ReportData } from '../types.js';
import { writeAllowed } from './guard.js';
import { readPick } from './pick-body.js';
import { end } from './reply.js';

/** What a pick needs of the server: see `ReportServerOptions.pick`. */
export interface PickServer {
  readonly path: string;
  readonly hosts: ReadonlySet<string>;
  readonly token: string;
  /** The data last pushed to the pages (read again after a rebuild). */
  readonly data: () => ReportData | null;
  readonly pick:
    | ((recipePath: string, nodeId: string, expectSha256: string, clear: boolean) => Promise<unknown>)
    | undefined;
  /** Rebuild the data and push it to every page. */
  readonly rebuild: () => Promise<void>;
}

export async function answerPick(req: IncomingMessage, res: ServerResponse, s: PickServer): Promise<void> {
  if (!writeAllowed(req, s.hosts, s.token)) return end(res, 403, 'forbidden');
  const pick = s.pick;
  if (pick === undefined) return end(res, 404, 'picking is not available');
  const body = await readPick(req);
  if (body === 'too-large') {
    // The rest of the body is not read: the connection closes after this answer.
    res.setHeader('connection', 'close');
    return end(res, 413, 'request body too large');
  }
  const data = s.data();
  if (data?.errors?.length) return unusable(res, s.path, data.errors);
  const known = data?.nodes.find((n) => n.id === body?.node);
  if (body === null || known === undefined || known.variant === null || !data?.passes[known.p]?.ownsVariants)
    return end(res, 400, 'not a variant node');
  if (body.expectSha256 === null) return end(res, 400, 'the pick names no recipe sha256: reload the page');
  try {
    await pick(s.path, body.node, body.expectSha256, body.clear);
  } catch (e) {
    if (!isKontextError(e)) return end(res, 409, e instanceof Error ? e.message : String(e));
    if (e.code !== 'E_RECIPE_CHANGED') return end(res, 409, problemLines(e).join('\n')); // at file:line:col
    // The page was built from other bytes: send every page the recipe as it is now, then say so.
    await s.rebuild();
    // Saved invalid meanwhile: the page keeps its last good plan, and says why; so does this answer.
    const after = s.data();
    if (after?.errors?.length) return unusable(res, s.path, after.errors);
    // The page could not be rebuilt: it still shows the older recipe, and "look again" would not help.
    if (after?.buildErrors?.length) {
      const head =
        `${basename(s.path)} changed on disk since this page was built, and the page cannot be ` +
        'updated: nothing written. Fix this, then pick again:';
      return end(res, 409, [head, ...after.buildErrors].join('\n'));
    }
    return end(
      res,
      409,
      `${basename(s.path)} changed on disk since this page was built: nothing written. ` +
        'The page now shows the recipe as saved; look again, then pick again.',
    );
  }
  end(res, 200, body.clear ? 'un-picked' : 'picked');
}

/** The recipe cannot be used as saved: why, one problem a line (`file:line:col: message`). */
function unusable(res: ServerResponse, path: string, errors: readonly string[]): void {
  const head = `${basename(path)} cannot be used as saved: nothing written. Fix it, then pick again:`;
  end(res, 409, [head, ...errors].join('\n'));
}
