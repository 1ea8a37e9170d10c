/**
 * `--dry-run` / `--explain`: each node's state, why it would run, and how its input would
 * reach the API, with the number of billable requests. No request is made.
 */
import type { Hosting } from '../hosting/index.js';
import { mediaTypeFor } from '../hosting/index.js';
import type { Store } from '../store/types.js';
import type { RunReason } from './events.js';
import type { Prepared } from './prepare.js';

export interface DryRunRow {
  readonly node: string;
  readonly status: 'cached' | 'run';
  readonly reason: RunReason | null;
  readonly seed: number;
  readonly seedSource: string;
  /** How the input reaches the API (only for nodes that run). */
  readonly input: string | null;
}

export interface DryRunReport {
  readonly rows: readonly DryRunRow[];
  readonly billable: number;
  readonly cached: number;
}

export async function describeRun(prepared: Prepared, deps: { readonly store: Store; readonly hosting: Hosting | null; readonly now: () => number }): Promise<DryRunReport> {
  const rows: DryRunRow[] = [];
  for (const node of prepared.nodes) {
    const s = prepared.states.get(node.id);
    if (!s) continue;
    const input = s.status === 'run' ? await describeInput(prepared, node.id, deps) : null;
    rows.push({ node: node.id, status: s.status, reason: s.reason, seed: s.seed, seedSource: s.seedSource, input });
  }
  return { rows, billable: prepared.billable, cached: rows.length - prepared.billable };
}

async function describeInput(prepared: Prepared, id: string, deps: { readonly store: Store; readonly hosting: Hosting | null }): Promise<string> {
  const s = prepared.states.get(id);
  if (!s) return '';
  const input = s.node.input;
  if (input.kind === 'source' && input.url !== undefined) return `source URL ${input.url}`;
  if (input.kind === 'node') {
    const up = prepared.states.get(input.id);
    if (!up || up.status === 'run') return `output URL of ${input.id} from this run (no upload)`;
  }
  if (!deps.hosting) return 'needs hosting: none configured';
  const path = input.kind === 'source' && input.path !== undefined ? input.path : deps.store.blobPath(s.inputSha ?? '');
  const bytes = input.kind === 'source' && input.path !== undefined ? (await deps.store.hashSource(input.path)).bytes : 0;
  const preview = await deps.hosting.describe({ path, sha256: s.inputSha ?? '', mediaType: mediaTypeFor(path), bytes });
  return preview.text;
}
