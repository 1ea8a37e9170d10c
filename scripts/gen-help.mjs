#!/usr/bin/env node
// Part of `npm run build`: render `kontext --help` once with commander (80 columns) into
// dist/cli/help.txt, so the installed CLI can answer --help without loading commander.
import { writeFileSync } from 'node:fs';
import { renderHelp } from '../dist/cli/help-text.js';

writeFileSync(new URL('../dist/cli/help.txt', import.meta.url), await renderHelp());
