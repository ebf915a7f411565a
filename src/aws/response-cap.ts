// A cap on the size of every AWS answer: a server (or something posing as one) that sends more than
// MAX_RESPONSE_BYTES gets a clear error, and nothing of it is parsed or cached.
import { Readable } from 'node:stream';
import type { DeserializeHandler, DeserializeHandlerArguments, DeserializeHandlerOutput, MiddlewareStack } from '@smithy/types';

export const MAX_RESPONSE_BYTES = 1024 * 1024;

export class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit / (1024 * 1024)} MiB; refused, nothing was kept`);
    this.name = 'ResponseTooLarge';
  }
}

interface RawResponse {
  headers?: Record<string, string | undefined>;
  body?: unknown;
}

async function readCapped(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Adds the cap to an SDK client's middleware stack, just inside the deserializer (it sees the raw body). */
export function capResponses<I extends object, O extends object>(stack: MiddlewareStack<I, O>, limit = MAX_RESPONSE_BYTES): void {
  stack.add(
    (next: DeserializeHandler<I, O>) =>
      async (args: DeserializeHandlerArguments<I>): Promise<DeserializeHandlerOutput<O>> => {
        const result = await next(args);
        const response = result.response as RawResponse;
        const declared = Number(response.headers?.['content-length']);
        if (Number.isFinite(declared) && declared > limit) throw new ResponseTooLarge(limit);
        if (response.body instanceof Readable) response.body = Readable.from([await readCapped(response.body, limit)]);
        return result;
      },
    { step: 'deserialize', priority: 'low', name: 'escdResponseCap' },
  );
}
