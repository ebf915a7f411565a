#!/usr/bin/env node
// The `escd` command line as tsc emits it (dist/src/cli/main.js: an ES module importing the others).
// The installed `escd` runs the same start.ts from CommonJS bundles, one per fast command (./bundle.mjs).
import { FAST_COMMANDS } from './fast-path.js';
import { startCli } from './start.js';

startCli(FAST_COMMANDS);
