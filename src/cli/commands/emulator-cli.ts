/** `kontext emulator [...]`: option parsing in front of the emulator's own command. */
import { EMULATOR_MAX_DELAY_MS } from '../../index.js';
import { intOption, numberOption } from '../options.js';
import type { CliContext } from '../context.js';

export async function emulatorCli(opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const { emulatorCommand } = await import('./emulator.js');
  const parsed = {
    port: intOption('--port', opts['port'], 0, 65535),
    host: typeof opts['host'] === 'string' ? opts['host'] : undefined,
    queueMs: intOption('--queue-ms', opts['queueMs'], 0, EMULATOR_MAX_DELAY_MS),
    runMs: intOption('--run-ms', opts['runMs'], 0, EMULATOR_MAX_DELAY_MS),
    faultRate: numberOption('--fault-rate', opts['faultRate'], 0, 1),
    faultSeed: intOption('--fault-seed', opts['faultSeed'], -(2 ** 31), 2 ** 32),
    scenario: typeof opts['scenario'] === 'string' ? opts['scenario'] : undefined,
    price: numberOption('--price', opts['price'], 0),
  };
  const defined = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
  return emulatorCommand(defined, ctx.rt, ctx.signal);
}
