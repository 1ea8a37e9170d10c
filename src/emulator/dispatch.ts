/**
 * One request, start to finish: match the route, log it, apply the scenario's call faults,
 * check the bearer token, then run the route. Every request to `/v1` and `/files` is logged,
 * faulted ones included (status 0 for a reset); control routes (`/__emulator`) are not.
 * An emulator's input fetch from `/files/` (another emulator chaining from our output; our own
 * chained passes read the job table instead) is logged as `internal` and never faulted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { cancel, modelInfo, result, status, submit } from './api-routes.js';
import type { EmulatorContext } from './context.js';
import { handleControl } from './control-routes.js';
import { replyWithFault } from './fault-reply.js';
import { INPUT_FETCH_USER_AGENT } from './fetch-input.js';
import type { CallPlan } from './faults.js';
import { serveOutput, serveSynthetic } from './files.js';
import { hasBearer, sendError } from './http-io.js';
import type { RequestLogEntry } from './request-log.js';
import { matchRoute, targetOf, type Route } from './router.js';

const NO_FAULT: CallPlan = { delayMs: 0, fault: undefined, source: undefined };

export async function dispatch(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://emulator').pathname;
  const route = matchRoute(method, path);
  const target = targetOf(route);
  if (target === undefined) return handleControl(ctx, req, res, route);
  const entry: RequestLogEntry = { method, path, status: 0, time: new Date(ctx.settings.now()).toISOString(), ms: 0 };
  const started = performance.now();
  res.once('close', () => {
    entry.status = res.headersSent ? res.statusCode : 0;
    entry.ms = Math.round((performance.now() - started) * 10) / 10;
    if (!ctx.closed) ctx.log.push(entry);
  });
  const internal = target === 'download' && req.headers['user-agent'] === INPUT_FETCH_USER_AGENT;
  if (internal) entry.internal = true;
  const plan = internal ? NO_FAULT : ctx.faults.onCall(target);
  if (plan.delayMs > 0) {
    entry.fault = `slow ${plan.delayMs}ms`;
    await ctx.timers.sleep(plan.delayMs);
    if (ctx.closed || res.destroyed) return;
  }
  if (route.kind === 'protocol') return route.serve(ctx, req, res, entry, plan);
  if (plan.fault) return replyWithFault(req, res, { ...plan, fault: plan.fault }, entry);
  if (target !== 'download' && !hasBearer(req)) {
    return sendError(res, 401, 400004, 'Unauthorized: send Authorization: Bearer <token>');
  }
  await runRoute(ctx, req, res, route, entry, plan);
}

async function runRoute(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  entry: RequestLogEntry,
  plan: CallPlan,
): Promise<void> {
  switch (route.kind) {
    case 'submit':
      return submit(ctx, req, res, route.modelId, entry, plan);
    case 'model':
      return modelInfo(ctx, res, route.modelId);
    case 'status':
      return status(ctx, res, route.id);
    case 'result':
      return result(ctx, req, res, route.id, entry);
    case 'cancel':
      return cancel(ctx, res, route.id, entry);
    case 'output':
      return serveOutput(ctx, req, res, route.id, entry);
    case 'synthetic':
      return serveSynthetic(ctx, req, res, route.bytes, route.format, entry);
    default:
      return handleControl(ctx, req, res, route);
  }
}
