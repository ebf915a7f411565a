#!/usr/bin/env node
// escd-shim: what AWS `credential_process` and the kubectl exec plugin run. It asks the daemon over its
// socket and prints the answer. Node built-ins and the dependency-free src/protocol/* only (and
// daemon/autostart, src/config/paths and daemon/spawn-detached, built-ins only too; a test walks the
// imports), and no work at load time beyond reading argv, so each call costs little more than starting node.
// `npm run build` bundles it into one CommonJS file, dist/shim/main.js (shim/bundle.mjs).
//
// It never prints partial or stale output: the answer is validated first and written in one write.
import { socketPath } from '../src/protocol/socket-path.js';
import { callerStsEndpoint, type MethodParams } from '../src/protocol/wire.js';
import { awsOutput, execInfoApiVersion, EXIT_USAGE, kubeOutput, parseArgs, ShimError, USAGE } from './args.js';

/** Asks the daemon (starting it if none answers); a warning from it goes to stderr, one line. */
async function ask<M extends 'aws.credentials' | 'kube.credentials'>(socket: string, method: M, params: MethodParams[M]): Promise<unknown> {
  const [{ askDaemon, DaemonRefused }, { resolvePaths }] = await Promise.all([import('../daemon/autostart.js'), import('../src/config/paths.js')]);
  const endpoint = callerStsEndpoint(process.env);
  const withCaller = { ...params, ...(endpoint !== undefined ? { callerStsEndpoint: endpoint } : {}) } as MethodParams[M];
  try {
    const response = await askDaemon(socket, method, withCaller, { logFile: resolvePaths(process.env).daemonLog, env: process.env });
    if (response.warning) process.stderr.write(`escd-shim: warning: ${response.warning.split('\n')[0]}\n`);
    return response.result;
  } catch (err) {
    if (err instanceof DaemonRefused) {
      if (err.warning) process.stderr.write(`escd-shim: warning: ${err.warning.split('\n')[0]}\n`);
      throw new ShimError(`${params.env}: ${err.message}`);
    }
    throw new ShimError(err instanceof Error ? err.message : String(err));
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const invocation = parseArgs(argv);
  if (invocation.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const socket = socketPath(process.env);
  let output: string;
  if (invocation.kind === 'aws') {
    output = awsOutput(await ask(socket, 'aws.credentials', { env: invocation.env }), Date.now());
  } else {
    const apiVersion = execInfoApiVersion(process.env.KUBERNETES_EXEC_INFO);
    output = kubeOutput(await ask(socket, 'kube.credentials', { ...invocation.params, apiVersion }), apiVersion, Date.now());
  }
  process.stdout.write(output);
  return 0;
}

// A reader that went away (EPIPE) is not worth a stack trace.
process.stdout.on('error', () => (process.exitCode = 1));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    process.stderr.write(`escd-shim: ${message}\n`);
    if (err instanceof ShimError && err.exitCode === EXIT_USAGE) process.stderr.write(USAGE);
    process.exitCode = err instanceof ShimError ? err.exitCode : 1;
  },
);
