/**
 * `kontext providers [--json]`: providers, models, prices, and which credentials are set (never their
 * values); and the network: the proxies the environment names, without their passwords.
 */
import { listProviders, type ProviderListing, type ProxySummary, proxySummary } from '../../index.js';
import type { CliContext } from '../context.js';
import { jsonText } from '../json-text.js';

export async function providersCommand(opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const providers = await listProviders(ctx.rt);
  const network = proxySummary(ctx.rt.env);
  const out =
    opts['json'] === true
      ? `${jsonText({ providers: providers.map(toJson), network: networkJson(network) })}\n`
      : `${[...providers.flatMap(describe), describeNetwork(network)].join('\n')}\n`;
  ctx.rt.stdout.write(out);
  return 0;
}

function describe(p: ProviderListing): string[] {
  const { credentials: c } = p;
  const names = c.env.map((g) => g.join(' + ')).join(' or ');
  let creds = `credentials ${c.state}${c.from.length > 0 ? ` (${c.from.join(' + ')})` : ` (set ${names})`}`;
  if (c.state === 'not-needed') creds = 'no credentials needed';
  if (c.state === 'unusable') creds = `credentials unusable: ${c.problem ?? ''}`;
  const head = `${p.name}: ${p.available ? creds : `no client in this build; ${creds}`}`;
  const price = (usd: number | null): string => {
    if (usd !== null) return `$${usd.toFixed(2)}/image`;
    return p.name === 'emulator' ? 'price from the emulator' : 'price from catalog';
  };
  const models = p.models.map((m) => {
    const aliases = m.aliases.length > 0 ? ` (${m.aliases.join(', ')})` : '';
    const endpoint = m.endpoint === m.id ? '' : `, endpoint ${m.endpoint}`;
    return `  ${m.id}${aliases}${endpoint}, ${price(m.priceUsd)}`;
  });
  const catalog = p.name === 'runcomfy' || p.name === 'emulator' ? ['  any other owner/name/... catalog id'] : [];
  return [head, ...models, ...catalog];
}

function toJson(p: ProviderListing): Record<string, unknown> {
  const { credentials: c } = p;
  return {
    name: p.name,
    available: p.available,
    credentials: {
      state: c.state,
      env: c.env,
      from: c.from,
      ...(c.problem ? { problem: c.problem } : {}),
      ...(c.note ? { note: c.note } : {}),
    },
    models: p.models.map((m) => ({ id: m.id, aliases: m.aliases, endpoint: m.endpoint, price_usd: m.priceUsd })),
  };
}

/** One line: where connections go (the in-process emulator is always reached directly). */
function describeNetwork(n: ProxySummary): string {
  if (n.problem !== undefined) return `network: ${n.problem} (a run that calls an API stops on it, exit 64)`;
  if (n.https === null && n.http === null) return 'network: direct (no HTTPS_PROXY or HTTP_PROXY set)';
  const via = (scheme: string, proxy: string | null): string =>
    `${scheme} URLs ${proxy === null ? 'directly' : `through ${proxy}`}`;
  const direct = n.noProxy === null ? '' : `; directly to ${n.noProxy} (NO_PROXY)`;
  return `network: ${via('https://', n.https)}, ${via('http://', n.http)}${direct}; the built-in emulator directly`;
}

function networkJson(n: ProxySummary): Record<string, unknown> {
  return {
    https_proxy: n.https,
    http_proxy: n.http,
    no_proxy: n.noProxy,
    ...(n.problem === undefined ? {} : { problem: n.problem }),
  };
}
