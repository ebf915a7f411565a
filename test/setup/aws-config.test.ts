import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { credentialsFileHasKeys, upsertCredentialProcess } from '../../src/setup/aws-config.js';
import { commandLine, shellQuote } from '../../src/setup/shell-quote.js';

const CMD = '/usr/bin/node /opt/escd/dist/shim/main.js aws proj/dev';

const CONFIG = `# Work accounts — managed by hand
[default]
region = eu-west-1
output = json

; the old one
[profile legacy]
region=us-east-1
s3 =
    max_concurrent_requests = 20

[profile proj-dev]   # ours
region = eu-central-1
credential_process = /old/node /old/shim.js aws proj/dev
cli_pager =
`;

describe('upsertCredentialProcess', () => {
  it('appends a new profile section, leaving every existing byte in place', () => {
    const edit = upsertCredentialProcess(CONFIG, 'proj-prod', CMD);
    expect(edit.action).toBe('added');
    expect(edit.text.startsWith(CONFIG)).toBe(true);
    expect(edit.text.slice(CONFIG.length)).toBe(`\n[profile proj-prod]\ncredential_process = ${CMD}\n`);
  });

  it('replaces only the credential_process line of an existing profile', () => {
    const edit = upsertCredentialProcess(CONFIG, 'proj-dev', CMD);
    expect(edit.action).toBe('updated');
    expect(edit.text).toBe(CONFIG.replace('/old/node /old/shim.js aws proj/dev', CMD));
  });

  it('is idempotent: a second run changes nothing', () => {
    const once = upsertCredentialProcess(CONFIG, 'proj-prod', CMD).text;
    const twice = upsertCredentialProcess(once, 'proj-prod', CMD);
    expect(twice).toEqual({ text: once, action: 'unchanged' });
  });

  it('adds the key to a profile that has none, after its last setting', () => {
    const edit = upsertCredentialProcess(CONFIG, 'legacy', CMD);
    expect(edit.text).toBe(CONFIG.replace('    max_concurrent_requests = 20\n', `    max_concurrent_requests = 20\ncredential_process = ${CMD}\n`));
  });

  it('uses [default] for the default profile', () => {
    const edit = upsertCredentialProcess(CONFIG, 'default', CMD);
    expect(edit.text).toBe(CONFIG.replace('output = json\n', `output = json\ncredential_process = ${CMD}\n`));
    expect(upsertCredentialProcess('', 'default', CMD).text).toBe(`[default]\ncredential_process = ${CMD}\n`);
  });

  it('keeps CRLF line endings and handles a file without a final newline', () => {
    const crlf = '[profile a]\r\nregion = x\r\n';
    expect(upsertCredentialProcess(crlf, 'b', CMD).text).toBe(`${crlf}\r\n[profile b]\r\ncredential_process = ${CMD}\r\n`);
    expect(upsertCredentialProcess('[profile a]\nregion = x', 'a', CMD).text).toBe(`[profile a]\nregion = x\ncredential_process = ${CMD}\n`);
  });

  it('replaces a value continued on indented lines as a whole', () => {
    const text = '[profile a]\ncredential_process = /bin/old\n   --flag\nregion = x\n';
    expect(upsertCredentialProcess(text, 'a', CMD).text).toBe(`[profile a]\ncredential_process = ${CMD}\nregion = x\n`);
  });

  it('refuses a profile that gets credentials another way, naming key and line', () => {
    const text = '[profile a]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n';
    expect(() => upsertCredentialProcess(text, 'a', CMD, '/home/u/.aws/config')).toThrow(
      "profile 'a' in /home/u/.aws/config already gets credentials from role_arn (line 2), source_profile (line 3); remove them or choose another name with --profile",
    );
  });

  it('refuses profile names the SDKs cannot read back', () => {
    expect(() => upsertCredentialProcess('', 'a b', CMD)).toThrow(/invalid profile name "a b"/);
    expect(() => upsertCredentialProcess('', 'x]', CMD)).toThrow(/invalid profile name/);
  });

  it('never touches other sections (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 5 }), fc.nat(), (names, pick) => {
        const text = names.map((n, i) => `[profile ${n}]\nregion = r${i}\n# note ${i}\n`).join('\n');
        const target = names[pick % names.length]!;
        const out = upsertCredentialProcess(text, target, CMD).text;
        expect(out.replace(`credential_process = ${CMD}\n`, '')).toBe(text);
      }),
    );
  });
});

describe('credentialsFileHasKeys', () => {
  it('finds static keys that would shadow credential_process', () => {
    expect(credentialsFileHasKeys('[proj-dev]\naws_access_key_id = AKIA\n', 'proj-dev')).toBe(true);
    expect(credentialsFileHasKeys('[other]\naws_access_key_id = AKIA\n[proj-dev]\nregion = x\n', 'proj-dev')).toBe(false);
  });
});

describe('shellQuote', () => {
  it('leaves plain paths alone and single-quotes the rest', () => {
    expect(shellQuote('/usr/bin/node')).toBe('/usr/bin/node');
    expect(shellQuote('/Users/Jane Doe/.nvm/node')).toBe("'/Users/Jane Doe/.nvm/node'");
    expect(shellQuote("/o'brien/node")).toBe("'/o'\\''brien/node'");
  });

  it('refuses what an INI value or the JavaScript SDK parser would cut', () => {
    expect(() => commandLine(['/a #b/node'])).toThrow(/" #" or " ;"/);
    expect(() => commandLine(['/a\nb'])).toThrow(/line break/);
  });
});
