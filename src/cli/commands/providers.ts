/** `kontext providers [--json]`: providers, models, prices, and which credentials are set (never their values). */
import { listProviders, type ProviderListing } from '../../index.js';
import type { CliContext } from '../context.js';
import { jsonText } from '../json-text.js';

export async function providersCommand(opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const providers = await listProviders(ctx.rt);
  const out =
    opts['json'] === true
      ? `${jsonText({ providers: providers.map(toJson) })}\n`
      : `${providers.flatMap(describe).join('\n')}\n`;
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
