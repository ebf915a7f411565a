// Every top-level command, in the order `escd --help` lists them. Each module exports
// `register(program)` and imports its heavy implementation only when its action runs.
import type { Command } from 'commander';
import * as env from './env.js';
import * as open from './open.js';
import * as run from './run.js';
import * as daemon from './daemon.js';
import * as endpoint from './endpoint.js';
import * as setup from './setup.js';
import * as oidc from './oidc.js';
import * as service from './service.js';
import * as quickstart from './quickstart.js';
import * as doctor from './doctor.js';
import * as completion from './completion.js';
import * as login from './login.js';

export function registerCommands(program: Command): void {
  for (const mod of [quickstart, env, open, run, daemon, endpoint, setup, oidc, login, service, doctor, completion]) mod.register(program);
}
