#!/usr/bin/env node
// Placeholder until the shim lands.
process.stderr.write('escd-shim: not built yet\n');
process.exitCode = 1;
