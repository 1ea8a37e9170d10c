#!/usr/bin/env node
/**
 * The process-facing entry point as tsc builds it: hands argv and the real process to `main`,
 * sets the exit code. `--version` and `--help` are answered before anything else loads;
 * commands load lazily. `npm run build` replaces it with the bundle's (bin-bundle.ts).
 */
import { launch } from './launch.js';

await launch(() => import('./main.js'));
