// `escd keys replace data|signing`: the one way a new data key or signing key is made once one has
// existed (issue 12: keys never appear silently). It says what the replacement breaks and does
// nothing without --yes.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { EscdError } from '../../core/errors.js';
import { KeyHistory, keyHistoryPath } from '../../keystore/key-history.js';
import { REPLACEMENT_BREAKS } from '../../oidc/issuer.js';
import { createRuntime, type Runtime } from '../../runtime/runtime.js';
import { replaceDataKey } from '../../secrets/aes-cipher.js';

const KINDS = ['data', 'signing'] as const;
type Kind = (typeof KINDS)[number];

export function register(program: Command): void {
  const keys = program
    .command('keys')
    .description("Replace escd's own keys: the data key of sealed secrets, the issuer's signing key")
    .addHelpText('after', '\nExamples:\n  $ escd keys replace data          # says what replacing would break; changes nothing\n  $ escd keys replace signing --yes');
  keys
    .command('replace')
    .description('Make a new key when the old one is lost or must go; says what it breaks and needs --yes')
    .argument('<key>', 'data (seals `fn::secret` values) or signing (signs OIDC tokens)')
    .option('-y, --yes', 'replace the key (without it, only say what replacing would break)')
    .option('--json', 'print the new key as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ escd keys replace data            # what would break, nothing changed
  $ escd keys replace data --yes      # then set each secret again: escd env set <env> <path> --secret
  $ escd keys replace signing --yes && escd oidc publish --out ./site`,
    )
    .action(async (key: string, opts: { yes?: boolean; json?: boolean }) => replace(key, opts));
}

const out = (text: string): void => void process.stdout.write(text + '\n');

/** Environment files holding sealed secrets (each breaks with a new data key). */
async function sealedIn(runtime: Runtime): Promise<string[]> {
  const files: string[] = [];
  for (const env of await runtime.store.list()) {
    if (/\bciphertext\s*:/.test(await readFile(env.file, 'utf8').catch(() => ''))) files.push(env.file);
  }
  return files;
}

async function consequences(kind: Kind, runtime: Runtime): Promise<string> {
  if (kind === 'signing') return `a new signing key signs every token from now on ${REPLACEMENT_BREAKS}`;
  const files = await sealedIn(runtime);
  const which = files.length === 0 ? 'no environment file holds sealed secrets now' : `${files.length} environment file(s) hold secrets sealed with the current key, e.g. ${files[0]}`;
  return `secrets sealed with the current data key will not decrypt (${which}); set them again with \`escd env set <env> <path> --secret\``;
}

async function replace(key: string, opts: { yes?: boolean; json?: boolean }): Promise<void> {
  if (!(KINDS as readonly string[]).includes(key)) throw new EscdError('usage', `say which key to replace: ${KINDS.join(' or ')} (got ${JSON.stringify(key.slice(0, 40))})`);
  const kind = key as Kind;
  const runtime = await createRuntime();
  const breaks = await consequences(kind, runtime);
  if (!opts.yes) throw new EscdError('bad_request', `not replaced: ${breaks}; run again with --yes to replace the ${kind} key`);
  const history = new KeyHistory(keyHistoryPath(runtime.paths));
  if (kind === 'data') {
    const store = await runtime.keyStore();
    const made = await replaceDataKey(store);
    await history.note('data');
    if (opts.json) return out(JSON.stringify({ key: 'data', ...made }, null, 2));
    out(`New data key ${made.id}${made.previous ? ` (replaces ${made.previous})` : ''} in the ${store.location}.`);
    out(`Note: ${breaks}.`);
    return;
  }
  const made = await (await runtime.issuer()).replace();
  await history.note('signing');
  if (opts.json) return out(JSON.stringify({ key: 'signing', ...made }, null, 2));
  out(`New active signing key ${made.kid} (${made.alg})${made.previous ? `; ${made.previous} stays published until its tokens have expired` : ''}.`);
  out('Next: `escd oidc publish` and upload the files; relying parties reject tokens signed with the new key until then.');
}
