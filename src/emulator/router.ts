/** Map a method + path onto an emulator route. Pure, so the table is easy to test and read. */
import type { CallTarget } from './faults.js';
import { matchBfl } from './protocols/bfl.js';
import { matchFal } from './protocols/fal.js';
import { matchReplicate } from './protocols/replicate.js';
import type { ProtocolRoute } from './protocols/bfl-fal-wire.js';
import { isSyntheticPngSize } from './synthetic-png.js';

export type Route =
  | { kind: 'submit'; modelId: string }
  | { kind: 'model'; modelId: string }
  | { kind: 'status' | 'result' | 'cancel'; id: string }
  | { kind: 'output'; id: string }
  | { kind: 'synthetic'; bytes: number; format: 'bin' | 'png' }
  | { kind: 'log' | 'clear-log' | 'get-scenario' | 'set-scenario' }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string }
  /** Another provider's wire protocol (src/emulator/protocols/): it serves itself, faults and auth included. */
  | ProtocolRoute;

/** Synthetic benchmark downloads are capped at 4 GiB. */
const SYNTHETIC_MAX_BYTES = 4 * 1024 ** 3;

function decodeSegments(segments: readonly string[]): string | undefined {
  try {
    const parts = segments.map((s) => decodeURIComponent(s));
    return parts.every((p) => p !== '' && p !== '.' && p !== '..') ? parts.join('/') : undefined;
  } catch {
    return undefined;
  }
}

function byMethod(method: string, allowed: string, route: Route): Route {
  return method === allowed || (allowed === 'GET' && method === 'HEAD')
    ? route
    : { kind: 'method-not-allowed', allow: allowed };
}

function apiRoute(method: string, seg: readonly string[]): Route {
  const [head, ...rest] = seg;
  if (head === 'models') {
    const modelId = decodeSegments(rest);
    if (modelId === undefined) return { kind: 'not-found' };
    if (method === 'POST') return { kind: 'submit', modelId };
    return byMethod(method, 'GET', { kind: 'model', modelId });
  }
  if (head === 'requests' && rest.length === 2) {
    const id = decodeSegments([rest[0] ?? '']);
    const action = rest[1];
    if (id === undefined) return { kind: 'not-found' };
    if (action === 'status' || action === 'result') return byMethod(method, 'GET', { kind: action, id });
    if (action === 'cancel') return byMethod(method, 'POST', { kind: 'cancel', id });
  }
  return { kind: 'not-found' };
}

function controlRoute(method: string, name: string | undefined): Route {
  if (name === 'requests')
    return method === 'DELETE' ? { kind: 'clear-log' } : byMethod(method, 'GET', { kind: 'log' });
  if (name === 'scenario')
    return method === 'POST' ? { kind: 'set-scenario' } : byMethod(method, 'GET', { kind: 'get-scenario' });
  return { kind: 'not-found' };
}

function fileRoute(method: string, seg: readonly string[]): Route {
  const [dir, file, ...extra] = seg;
  if (dir === undefined || file === undefined || extra.length > 0) return { kind: 'not-found' };
  const synthetic = dir === 'synthetic' ? /^(\d{1,10})\.(bin|png)$/.exec(file) : null;
  if (synthetic) {
    const bytes = Number(synthetic[1]);
    const format = synthetic[2] === 'png' ? 'png' : 'bin';
    const fits = bytes <= SYNTHETIC_MAX_BYTES && (format === 'bin' || isSyntheticPngSize(bytes));
    return fits ? byMethod(method, 'GET', { kind: 'synthetic', bytes, format }) : { kind: 'not-found' };
  }
  // Its extension is the format the submit asked for (runcomfy-format.ts); the job decides what is served.
  return /^output\.(png|jpg|webp)$/.test(file)
    ? byMethod(method, 'GET', { kind: 'output', id: dir })
    : { kind: 'not-found' };
}

export function matchRoute(method: string, pathname: string): Route {
  const [root, ...seg] = pathname.split('/').slice(1);
  const protocol = matchBfl(method, root, seg) ?? matchFal(method, root, seg) ?? matchReplicate(method, root, seg);
  if (protocol) return protocol;
  if (root === 'v1') return apiRoute(method, seg);
  if (root === 'files') return fileRoute(method, seg);
  if (root === '__emulator' && seg.length === 1) return controlRoute(method, seg[0]);
  return { kind: 'not-found' };
}

/** Which fault counter a route feeds; control routes and unknown paths feed none. */
export function targetOf(route: Route): CallTarget | undefined {
  switch (route.kind) {
    case 'submit':
    case 'model':
    case 'status':
    case 'result':
    case 'cancel':
      return route.kind;
    case 'output':
    case 'synthetic':
      return 'download';
    case 'protocol':
      return route.target;
    case 'log':
    case 'clear-log':
    case 'get-scenario':
    case 'set-scenario':
    case 'not-found':
    case 'method-not-allowed':
      return undefined;
    default: {
      const never: never = route;
      return never;
    }
  }
}
