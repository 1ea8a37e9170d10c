/**
 * The last step of a node's request: download its output (streamed, hashed, flushed to disk),
 * adopt it as a blob and write the run record (docs/architecture.md#one-node-end-to-end, step 9).
 * A full or read-only cache fails the node with one error naming the file (exit 73); the request
 * stays journaled, so the next run downloads it without paying again.
 */
import type { RetryListener } from '../providers/types.js';
import { layout } from '../store/layout.js';
import { writeFailure } from '../store/write-errors.js';
import type { ExecuteDeps, Executed, Job } from './execute.js';
import { normalizedPrompt, resolvedParams } from './node-request.js';
import { outputFormatMismatch } from './output-format-check.js';
import { extensionFor } from './outputs.js';

/** How long a paid result's record waits for its price before it is written without one. */
const PRICE_WAIT_MS = 1_000;

export async function downloadOutput(
  job: Job,
  requestId: string,
  url: string,
  deps: ExecuteDeps & { readonly onRetry: RetryListener },
): Promise<Executed> {
  const { node } = job;
  // The URL was read just now: its age counts from here, not from the end of its download (a
  // slow one, or a laptop asleep in the middle of it, would make it look younger than it is).
  const urlAt = deps.now();
  deps.emit({ type: 'node-state', node: node.id, phase: 'downloading', request_id: requestId });
  const tmp = deps.store.tempPath(node.id);
  const kept = 'the request is journaled: the next run downloads it without paying again';
  const got = await deps.provider
    .download(url, tmp, {
      signal: deps.signal,
      onRetry: deps.onRetry,
      onProgress: (bytes, total) =>
        deps.emit({
          type: 'node-state',
          node: node.id,
          phase: 'downloading',
          bytes,
          ...(total === null ? {} : { total }),
        }),
    })
    .catch((e: unknown) => {
      throw writeFailure(e, tmp, kept);
    });
  deps.intents.crashPoint?.('download-in-temp');
  // Downloads are flushed to disk before they are handed over; the blob's name is made durable.
  await deps.store.adoptBlob(got.path, got.sha256, { synced: true, durable: true }).catch((e: unknown) => {
    throw writeFailure(e, deps.store.blobPath(got.sha256), kept);
  });
  deps.intents.crashPoint?.('after-blob');
  const { ext, mediaType } = extensionFor(got.mediaType, url);
  const mismatch = outputFormatMismatch(node, deps.providerName, { mediaType, ext });
  if (mismatch !== null) deps.emit({ type: 'warning', node: node.id, message: mismatch });
  const finishedAt = deps.now();
  const cost = await priceFor(node.model, deps);
  const record = {
    key: job.key,
    node: node.id,
    provider: deps.providerName,
    model: node.model,
    seed: job.seed,
    input_sha256: job.inputSha,
    output_sha256: got.sha256,
    media_type: mediaType,
    ext,
    request_id: requestId,
    output_url: url,
    finished_at: new Date(finishedAt).toISOString(),
    prompt: normalizedPrompt(node),
    params: resolvedParams(node),
    ...(cost === null ? {} : { cost_usd: cost }),
  };
  await deps.store.putRecord(record).catch((e: unknown) => {
    throw writeFailure(e, layout.record(deps.store.root, record.key), kept);
  });
  deps.intents.crashPoint?.('after-record');
  return { record, output: { sha256: got.sha256, bytes: got.bytes, mediaType, ext, url, urlAt } };
}

/**
 * The list price for the record, waited for at most {@link PRICE_WAIT_MS} and not past Ctrl-C:
 * usually known by now (asked at the model's first submit), but the catalog look-up (spend.ts,
 * bounded at 10 s) starts here on a run that only re-attaches, and may hang. Not known in time,
 * the record is written without `cost_usd` (the run's summary still waits for the price).
 */
async function priceFor(model: string, deps: ExecuteDeps): Promise<number | null> {
  const asked = deps.priceOf?.(deps.providerName, model).catch(() => null);
  if (asked === undefined || deps.signal.aborted) return null;
  const done = new AbortController();
  const waited = deps.intents.sleep(PRICE_WAIT_MS, AbortSignal.any([deps.signal, done.signal])).then(
    () => null,
    () => null,
  );
  try {
    return await Promise.race([asked, waited]);
  } finally {
    done.abort();
  }
}
