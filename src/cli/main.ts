#!/usr/bin/env node
// The `escd` command line (dist/src/cli/main.js; the installed `escd` is its bundle, ./bundle.mjs).
import { FAST_COMMANDS } from './fast-path.js';
import { startCli } from './start.js';

startCli(FAST_COMMANDS);
