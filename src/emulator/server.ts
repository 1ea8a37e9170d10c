/**
 * Start the emulator: a `node:http` server on a loopback port (ephemeral by default) that
 * speaks the RunComfy Model API. `close()` stops timers, aborts input fetches and destroys
 * every socket, so it returns promptly even with slow or streaming replies in flight.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createContext, type EmulatorContext } from './context.js';
import { applyScenario } from './control-routes.js';
import { dispatch } from './dispatch.js';
import { EmulatorListenError } from './errors.js';
import { sendError } from './http-io.js';
import type { RequestLogEntry } from './request-log.js';
import type { HeldPhase } from './jobs.js';
import type { ScenarioInput } from './scenario.js';

export interface EmulatorOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Port; default 0 = any free port. */
  port?: number;
  /** Time a request waits in the queue, ms; default 50. A scenario's `queue_ms` wins. */
  queueMs?: number;
  /** Time a request runs, ms; default 100. A scenario's `run_ms` wins. */
  runMs?: number;
  /** `base_price_usd` reported by model info; default 0.04; `null`: a catalog entry without a price. */
  priceUsd?: number | null;
  /** Initial fault scenario. */
  scenario?: ScenarioInput;
  /** Clock for timestamps (`created_at`, log times); default `Date.now`. */
  now?: () => number;
  /** How long an emulated BFL delivery URL works, ms; default 10 minutes (as BFL's). */
  deliveryTtlMs?: number;
  /**
   * Output bytes of ended requests kept; default 256 MiB. Past it the oldest ended requests are
   * forgotten (read: 404001, unknown or expired), so a long-lived emulator stays bounded.
   */
  keptOutputBytes?: number;
}

export interface EmulatorHandle {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `origin + '/v1'`: what `RUNCOMFY_MODEL_API_BASE` should be. */
  readonly baseUrl: string;
  /** A second listener (same emulator, another port): where BFL `polling_url`s point, as BFL's regional hosts. */
  readonly pollOrigin: string;
  /** A copy of the request log (API calls and downloads, oldest first). */
  requestLog(): RequestLogEntry[];
  /** Empty the request log (as `DELETE /__emulator/requests` does). */
  clearRequestLog(): void;
  /** Replace the fault scenario (counters restart); throws ScenarioError when invalid. */
  setScenario(s: ScenarioInput): void;
  /**
   * Hold every running request in progress, past its run time, or with `queued` every queued
   * request in the queue (still cancellable), until the returned function releases them (then
   * each goes on as it would have): a test waits for an observable state rather than race a time.
   */
  hold(phase?: HeldPhase): () => void;
  close(): Promise<void>;
}

/** Bound to every interface? Then tell clients the loopback address. */
function originOf(address: AddressInfo): string {
  return `http://${hostOf(address)}:${address.port}`;
}

function hostOf(address: AddressInfo): string {
  if (address.address === '0.0.0.0') return '127.0.0.1';
  if (address.address === '::') return '[::1]';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void =>
      reject(new EmulatorListenError(`emulator could not listen on ${host}:${port}: ${e.message}`, { cause: e, host }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closer(servers: readonly Server[], ctx: EmulatorContext, sockets: Set<Socket>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve) => {
      ctx.closed = true;
      ctx.timers.clearAll();
      ctx.jobs.close();
      let open = servers.length;
      for (const server of servers) server.close(() => --open === 0 && resolve());
      for (const s of sockets) s.destroy();
    });
    return closing;
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const ctx = createContext(
    {
      queueMs: options.queueMs ?? 50,
      runMs: options.runMs ?? 100,
      priceUsd: options.priceUsd === undefined ? 0.04 : options.priceUsd,
      now: options.now ?? Date.now,
      deliveryTtlMs: options.deliveryTtlMs ?? 10 * 60_000,
      ...(options.keptOutputBytes === undefined ? {} : { keptOutputBytes: options.keptOutputBytes }),
    },
    options.scenario,
  );
  const sockets = new Set<Socket>();
  const serve = (): Server => {
    const server = createServer((req, res) => {
      dispatch(ctx, req, res).catch((e: unknown) =>
        sendError(res, 500, 500000, `emulator bug: ${e instanceof Error ? e.message : String(e)}`),
      );
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    return server;
  };
  const [server, pollServer] = [serve(), serve()];
  const host = options.host ?? '127.0.0.1';
  const address = await listen(server, options.port ?? 0, host);
  const pollAddress = await listen(pollServer, 0, host).catch(async (e: unknown) => {
    await new Promise((r) => server.close(r));
    throw e;
  });
  ctx.origin = originOf(address);
  ctx.pollOrigin = originOf(pollAddress);
  return {
    origin: ctx.origin,
    baseUrl: `${ctx.origin}/v1`,
    pollOrigin: ctx.pollOrigin,
    requestLog: () => ctx.log.map((e) => ({ ...e })),
    clearRequestLog: () => {
      ctx.log.length = 0;
    },
    setScenario: (s) => applyScenario(ctx, s),
    hold: (phase) => ctx.jobs.hold(phase),
    close: closer([server, pollServer], ctx, sockets),
  };
}
