/** The top-level help exactly as commander prints it (80 columns): for the build-time cache. */
import { createRuntime } from '../index.js';
import { main } from './main.js';

export async function renderHelp(): Promise<string> {
  let text = '';
  const sink = { write: (s: string) => (text += s), isTTY: false, columns: 80 };
  await main(['--help'], { rt: createRuntime({ stdout: sink, stderr: sink, env: {} }) });
  return text;
}
