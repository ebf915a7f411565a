// `fn::open::external` (ESC Connect, https://www.pulumi.com/docs/esc/integrations/dynamic-secrets/external/):
// POSTs `request` (default {}) as JSON to the HTTPS adapter at `url` with `Authorization: Bearer <JWT>`,
// a short-lived token from escd's issuer whose `aud` is the adapter URL and whose `body_hash` is the
// SRI hash (`sha256-<base64>`) of the exact body sent; an HTTP 200 JSON answer becomes `{response}`,
// secret unless `secret: false`.
import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { fromJS, toPlain, type EscValue } from '../../esc/value.js';
import type { TokenIssuer } from '../../oidc/types.js';
import type { Provider, Schema } from '../../esc/provider.js';
import { contextString } from '../context.js';
import { stringAt, unknownKeys, valueAt } from '../input-checks.js';

export const externalInputSchema: Schema = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'HTTPS URL of the adapter service.' },
    request: { type: 'object', description: 'Arbitrary JSON object sent to the adapter.' },
    secret: { type: 'boolean', description: 'Whether to mark the response as secret (default true).' },
  },
  required: ['url'],
};

export const externalOutputSchema: Schema = { type: 'object', properties: { response: true }, required: ['response'] };

export interface ExternalDependencies {
  readonly issuer: TokenIssuer;
  /** Extra trusted CA certificates (PEM), besides Node's roots and NODE_EXTRA_CA_CERTS. */
  readonly ca?: string;
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

/** The token's lifetime: the request is made at once. */
export const EXTERNAL_TOKEN_LIFETIME_SECONDS = 60;
/** Answers larger than this are refused. */
export const MAX_RESPONSE_BYTES = 1 << 20;

/** `sha256-<base64 of the SHA-256 digest>`, the Subresource Integrity form the adapter checks. */
export function bodyHash(body: string): string {
  return `sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}`;
}

function checkUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `url: "${text}" is not a URL`;
  }
  return url.protocol === 'https:' ? undefined : `url: "${text}" must be an https:// URL (the adapter receives a bearer token)`;
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

function post(url: string, body: string, token: string, deps: ExternalDependencies, signal: AbortSignal | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
        timeout: deps.timeoutMs ?? 10_000,
        ...(deps.ca ? { ca: [...rootCertificates, deps.ca] } : {}),
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`the adapter's answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round((deps.timeoutMs ?? 10_000) / 1000)} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The adapter's words, safe for one line: first line, at most 200 characters. */
function firstLine(text: string): string {
  const line = (text.split(/\r?\n/)[0] ?? '').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

export function createExternalProvider(deps: ExternalDependencies): Provider {
  return {
    inputSchema: externalInputSchema,
    outputSchema: externalOutputSchema,
    validate(inputs) {
      const issues = unknownKeys(externalInputSchema, inputs);
      const url = stringAt(inputs, 'url');
      const bad = url === undefined ? undefined : checkUrl(url);
      if (bad) issues.push({ path: ['url'], message: bad });
      return issues;
    },
    async open(inputs, context) {
      const url = stringAt(inputs, 'url') ?? '';
      const requestValue = valueAt(inputs, 'request');
      const body = JSON.stringify(requestValue === undefined ? {} : toPlain(requestValue));
      const secret = valueAt(inputs, 'secret')?.data !== false;
      const org = contextString(context.execution, ['pulumi', 'organization', 'login']);
      if (!org) throw new Error('external: context.pulumi.organization.login is not set, so the token cannot be formed');
      let token: string;
      try {
        token = await deps.issuer.mint({
          audience: url,
          org,
          currentEnvironment: context.currentEnvironment,
          rootEnvironment: context.rootEnvironment,
          userLogin: contextString(context.execution, ['pulumi', 'user', 'login']) ?? '',
          lifetimeSeconds: EXTERNAL_TOKEN_LIFETIME_SECONDS,
          extraClaims: { org, env: context.currentEnvironment, body_hash: bodyHash(body) },
        });
      } catch (err) {
        throw new Error(`external: cannot sign the token: ${err instanceof Error ? err.message : String(err)}`);
      }
      let answer: Answer;
      try {
        answer = await post(url, body, token, deps, context.signal);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(`external: cannot reach the adapter at ${url}: ${err instanceof Error ? err.message : String(err)}${code && !String((err as Error).message).includes(code) ? ` (${code})` : ''}`);
      }
      if (answer.status !== 200) {
        const said = firstLine(answer.body);
        throw new Error(`external: the adapter at ${url} answered HTTP ${answer.status}${said ? `: ${said}` : ''}`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.body);
      } catch {
        throw new Error(`external: the adapter at ${url} answered with something that is not JSON (content-type "${answer.contentType}")`);
      }
      const response: EscValue = fromJS(parsed, { secret });
      return { data: new Map([['response', response]]), secret: false, unknown: false };
    },
  };
}

