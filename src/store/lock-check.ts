/**
 * A lock file checked by hand before zod: the lock is read on every run and holds an entry per
 * node, and zod's parse of 10,000 entries was a tenth of a no-op run. This check only accepts
 * what `LockFileSchema` accepts and returns what its parse returns (the same keys in the same
 * order); anything else, however slightly off, returns null and is left to zod, whose issue
 * becomes the error a person reads (lock-file.ts). `types.ts` stays the contract.
 */
import { escapeHidden, firstHiddenChar, type HiddenChar, isPlainName } from '../util/hidden-chars.js';
import { LockFileError } from './errors.js';
import { formatPath, lineCol, locatePath } from '../util/json-locate.js';
import type { LockEntry, LockFile } from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const REQUIRED = ['seed', 'key', 'input_sha256', 'output_sha256', 'output', 'provider', 'model', 'request_id'];
const STRINGS = ['output', 'provider', 'model', 'request_id', 'finished_at'] as const;
const HASHES = ['key', 'input_sha256', 'output_sha256'] as const;

/**
 * The lock as `LockFileSchema` would parse it when it certainly passes; null otherwise. With
 * `count`, also the object members it holds (`version`, `nodes`, each node id and its fields),
 * which the duplicate-key check compares with the text's (lock-file.ts).
 */
export function quickLock(data: unknown, count?: { members: number }): LockFile | null {
  if (!isPlain(data)) return null;
  const keys = Object.keys(data);
  if (keys.length !== 2 || !Object.hasOwn(data, 'nodes') || data['version'] !== 1) return null;
  const nodes = data['nodes'];
  if (!isPlain(nodes)) return null;
  const out: Record<string, LockEntry> = {};
  let members = 2;
  for (const id of Object.keys(nodes)) {
    const entry = id === '__proto__' || !isPlainName(id) ? null : quickEntry(nodes[id]);
    if (entry === null) return null;
    out[id] = entry;
    members += entry.request_sha256 === undefined ? 10 : 11;
  }
  if (count !== undefined) count.members = members;
  return { version: 1, nodes: out };
}

function quickEntry(raw: unknown): LockEntry | null {
  if (!isPlain(raw)) return null;
  const n = Object.keys(raw).length;
  const hasRequestSha = Object.hasOwn(raw, 'request_sha256');
  if (n !== REQUIRED.length + 1 + (hasRequestSha ? 1 : 0) || !Object.hasOwn(raw, 'finished_at')) return null;
  for (const k of REQUIRED) if (!Object.hasOwn(raw, k)) return null;
  const seed = raw['seed'];
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) return null;
  for (const k of STRINGS) if (typeof raw[k] !== 'string' || !isPlainName(raw[k] as string)) return null;
  for (const k of HASHES) if (typeof raw[k] !== 'string' || !SHA256_HEX.test(raw[k] as string)) return null;
  const requestSha = raw['request_sha256'];
  if (hasRequestSha && (typeof requestSha !== 'string' || !SHA256_HEX.test(requestSha))) return null;
  const s = raw as Record<string, string>;
  const entry: LockEntry = {
    seed,
    key: s['key'] as string,
    input_sha256: s['input_sha256'] as string,
    output_sha256: s['output_sha256'] as string,
    output: s['output'] as string,
    provider: s['provider'] as string,
    model: s['model'] as string,
    request_id: s['request_id'] as string,
    finished_at: s['finished_at'] as string,
  };
  return hasRequestSha ? { ...entry, request_sha256: requestSha as string } : entry;
}

/**
 * Throws {@link LockFileError} (exit 65) at the first node id or entry string of the lock that
 * holds a character a name may not (util/hidden-chars.ts: a control, a bidi control, an invisible
 * character; a ZWNJ inside a Persian word of an output path is fine). kontext writes none, and a
 * lock from someone else must not make `status`, `clean` or a merge print a node id or a path
 * that reads otherwise than it is. The line:col is the character's own where the file writes the
 * string as JSON.stringify does, else its key's.
 */
export function refuseHiddenChars(data: unknown, body: string, file: string): void {
  const nodes = isPlain(data) ? data['nodes'] : undefined;
  if (!isPlain(nodes)) return;
  for (const id of Object.keys(nodes)) {
    const inId = firstHiddenChar(id, 'name');
    if (inId !== null) throw hiddenError(body, file, [id], inId, `node id "${escapeHidden(id)}"`);
    const entry = nodes[id];
    if (!isPlain(entry)) continue;
    for (const [key, value] of Object.entries(entry)) {
      const hidden = typeof value === 'string' ? firstHiddenChar(value, 'name') : null;
      if (hidden !== null)
        throw hiddenError(
          body,
          file,
          [id, key, value as string],
          hidden,
          `node "${escapeHidden(id)}": ${escapeHidden(key)}`,
        );
    }
  }
}

/** The error at the character: `tokens` are the node id, then its key and value, found in order after `"nodes"`. */
function hiddenError(body: string, file: string, tokens: string[], hidden: HiddenChar, what: string): LockFileError {
  let offset = body.indexOf('"nodes"');
  let found = offset >= 0;
  for (const token of tokens) {
    const at = found ? body.indexOf(JSON.stringify(token), offset) : -1;
    found = at >= 0;
    if (found) offset = at;
  }
  const held = tokens[tokens.length - 1] ?? '';
  if (found) offset += JSON.stringify(held.slice(0, hidden.index)).length - 1;
  const { line, col } = lineCol(body, Math.max(offset, 0));
  return new LockFileError(
    `${file}:${line}:${col}: ${what} holds ${hidden.code} (${hidden.what}), which kontext never writes in a lock`,
    {
      hint: `it would show a name otherwise than it is wherever printed; restore ${file} from git or delete that entry`,
      location: { file, line, col },
    },
  );
}

/**
 * The error of a lock that is well-formed but for fields this kontext does not know, at the first
 * of them (`issues`: the strict schema's). A newer kontext adds optional fields at version 1 (one
 * added `request_sha256`), so the lock is most likely a teammate's, written by a newer kontext:
 * its entries are paid results, and the way on is to upgrade, not to edit or restore the lock.
 */
export function newerFieldsError(
  issues: readonly { code: string; path: readonly PropertyKey[]; keys?: readonly string[] }[],
  body: string,
  file: string,
): LockFileError {
  const issue = issues.find((i) => i.code === 'unrecognized_keys');
  const keys = issue?.keys ?? [];
  const path = issue?.path ?? [];
  const { line, col } = lineCol(body, locatePath(body, [...path, ...keys.slice(0, 1)]));
  const where = path.length === 0 ? '' : `${formatPath(path)}: `;
  const named = keys.map((k) => escapeHidden(JSON.stringify(k))).join(', ');
  const what = `${keys.length === 1 ? 'field' : 'fields'} ${named} unknown to this kontext`;
  return new LockFileError(`${file}:${line}:${col}: ${where}${what}: the lock was probably written by a newer one`, {
    hint:
      'upgrade kontext to run this recipe; do not edit the lock, whose entries are paid results; ' +
      `this one will not overwrite ${file}`,
    location: { file, line, col },
  });
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
