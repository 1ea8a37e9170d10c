/** Parsing of command-line option values into typed values, with usage errors (exit 64). */
import { UsageError } from '../index.js';

export function intOption(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

export function numberOption(name: string, value: unknown, min: number, max = Number.MAX_VALUE): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < min || n > max) {
    const range = max === Number.MAX_VALUE ? `a number of ${min} or more` : `a number from ${min} to ${max}`;
    throw new UsageError(`${name} must be ${range}, got "${text}"`);
  }
  return n;
}
