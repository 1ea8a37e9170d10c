/**
 * `kontext emulator`: run the RunComfy-compatible emulator standalone until `signal` aborts
 * (the entry point wires Ctrl-C to it), then close it and report success.
 */
import { resolve } from 'node:path';
import { ExitCode, KontextError, ScenarioError, findJsonSyntaxError, lineCol, locatePath } from '../../index.js';
import { parseScenario, startEmulator, type Scenario, type ScenarioInput } from '../../index.js';
import type { Runtime, SourceLocation } from '../../index.js';
import { READ_CAPS, readBoundedText } from '../../index.js';

export interface EmulatorCommandOptions {
  port?: number;
  host?: string;
  queueMs?: number;
  runMs?: number;
  faultRate?: number;
  faultSeed?: number;
  /** Path to a JSON scenario file (relative to the working directory). */
  scenario?: string;
  price?: number;
}

/** A scenario file read: its value, and its text and path to point at a problem in it. */
interface LoadedScenario {
  readonly input: ScenarioInput;
  readonly text: string;
  readonly file: string;
}

async function loadScenario(path: string | undefined, rt: Runtime): Promise<LoadedScenario | null> {
  if (path === undefined) return null;
  const full = resolve(rt.cwd, path);
  let text: string;
  try {
    text = await readBoundedText(full, READ_CAPS.scenario);
  } catch (e) {
    // A folder, FIFO or device is an input that is not there to read: 66, as for a recipe.
    if (e instanceof KontextError && e.code === 'E_NOT_REGULAR_FILE')
      throw new KontextError('E_EMULATOR_SCENARIO_MISSING', `scenario file ${path}: not a file`, {
        exitCode: ExitCode.NO_INPUT,
        hint: 'pass the path of a JSON scenario file',
      });
    if (e instanceof KontextError) throw e;
    throw new KontextError('E_EMULATOR_SCENARIO_MISSING', `cannot read scenario file ${path}`, {
      exitCode: ExitCode.NO_INPUT,
      cause: e,
    });
  }
  try {
    return { input: JSON.parse(text) as ScenarioInput, text, file: full };
  } catch (e) {
    const syntax = findJsonSyntaxError(text);
    const reason = syntax?.message ?? (e instanceof Error ? e.message : String(e));
    throw new KontextError('E_EMULATOR_SCENARIO', `scenario file ${path} is not valid JSON: ${reason}`, {
      exitCode: ExitCode.USAGE,
      cause: e,
      ...(syntax ? { location: { file: full, ...lineCol(text, syntax.offset) } } : {}),
    });
  }
}

/** The scenario from the file, with --fault-rate / --fault-seed on top; validated. */
async function buildScenario(opts: EmulatorCommandOptions, rt: Runtime): Promise<Scenario> {
  const loaded = await loadScenario(opts.scenario, rt);
  const input = { ...loaded?.input };
  if (opts.faultRate !== undefined) input.fault_rate = opts.faultRate;
  if (opts.faultSeed !== undefined) input.fault_seed = opts.faultSeed;
  try {
    return parseScenario(input);
  } catch (e) {
    const location = loaded && e instanceof ScenarioError ? problemAt(loaded, e.at, opts) : undefined;
    if (!location || !(e instanceof ScenarioError)) throw e;
    throw new ScenarioError(e.message, { cause: e, ...(e.hint ? { hint: e.hint } : {}), location });
  }
}

/** Where in the file a validation problem lies (not for a field a flag set). */
function problemAt(
  loaded: LoadedScenario,
  at: readonly PropertyKey[] | undefined,
  opts: EmulatorCommandOptions,
): SourceLocation | undefined {
  const [first] = at ?? [];
  if (at === undefined || first === undefined) return undefined;
  if (
    (first === 'fault_rate' && opts.faultRate !== undefined) ||
    (first === 'fault_seed' && opts.faultSeed !== undefined)
  )
    return undefined;
  return { file: loaded.file, ...lineCol(loaded.text, locatePath(loaded.text, at)) };
}

function describeScenario(s: Scenario): string | undefined {
  const parts: string[] = [];
  if (s.faults.length > 0)
    parts.push(`${s.faults.length} scripted fault(s): ${s.faults.map((f) => f.kind).join(', ')}`);
  if (s.fault_rate > 0) parts.push(`random fault rate ${s.fault_rate} (seed ${s.fault_seed})`);
  return parts.length > 0 ? `faults: ${parts.join('; ')}` : undefined;
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((done) => signal.addEventListener('abort', () => done(), { once: true }));
}

export async function emulatorCommand(opts: EmulatorCommandOptions, rt: Runtime, signal: AbortSignal): Promise<number> {
  const scenario = await buildScenario(opts, rt);
  const em = await startEmulator({
    ...(opts.host !== undefined && { host: opts.host }),
    ...(opts.port !== undefined && { port: opts.port }),
    ...(opts.queueMs !== undefined && { queueMs: opts.queueMs }),
    ...(opts.runMs !== undefined && { runMs: opts.runMs }),
    ...(opts.price !== undefined && { priceUsd: opts.price }),
    scenario,
    now: () => rt.now(),
  });
  rt.stdout.write(`kontext emulator listening on ${em.baseUrl}\n`);
  const allowHost = new URL(em.origin).hostname;
  rt.stdout.write(
    `export RUNCOMFY_MODEL_API_BASE=${em.baseUrl} KONTEXT_ALLOW_HOSTS=${allowHost} RUNCOMFY_TOKEN=anything\n`,
  );
  const faults = describeScenario(scenario);
  if (faults) rt.stdout.write(`${faults}\n`);
  await aborted(signal);
  await em.close();
  return ExitCode.OK;
}
