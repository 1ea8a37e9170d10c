/**
 * The RunComfy-compatible emulator (docs/architecture.md#the-emulator): a real HTTP server speaking the Model API,
 * with deterministic emulated edits and faults on demand. Public surface of `src/emulator/`.
 */
export { startEmulator, type EmulatorHandle, type EmulatorOptions } from './server.js';
export type { RequestLogEntry } from './request-log.js';
export { Fault, Scenario, type ScenarioInput } from './scenario.js';
export { ScenarioError } from './errors.js';
export { syntheticByte } from './files.js';
