/** `/__emulator/*` (request log, scenario) and the replies for unknown paths and methods. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { ScenarioError, parseScenario } from './errors.js';
import { FaultEngine } from './faults.js';
import { readJsonBody, sendError, sendJson } from './http-io.js';
import type { Route } from './router.js';

/** Replace the scenario wholesale; fault counters start again from zero. */
export function applyScenario(ctx: EmulatorContext, input: unknown): void {
  ctx.faults = new FaultEngine(parseScenario(input));
}

async function setScenario(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const read = await readJsonBody(req);
  if (!read.ok) return sendError(res, read.status, 400000, read.message);
  try {
    applyScenario(ctx, read.value ?? {});
  } catch (e) {
    if (e instanceof ScenarioError) return sendError(res, 422, 422002, e.message);
    throw e;
  }
  sendJson(res, 200, ctx.faults.scenario);
}

export async function handleControl(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
): Promise<void> {
  switch (route.kind) {
    case 'log':
      return sendJson(res, 200, ctx.log);
    case 'clear-log':
      ctx.log.length = 0;
      return void res.writeHead(204).end();
    case 'get-scenario':
      return sendJson(res, 200, ctx.faults.scenario);
    case 'set-scenario':
      return setScenario(ctx, req, res);
    case 'method-not-allowed':
      return sendError(res, 405, 405000, 'Method not allowed', { allow: route.allow });
    default:
      return sendError(res, 404, 404000, 'Not found');
  }
}
