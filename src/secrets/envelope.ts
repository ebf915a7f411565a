// The `escx` envelope that wraps a cipher's output in `fn::secret: {ciphertext: ...}` (§4):
// "escx" ‖ version (uint32 BE, 1) ‖ payload ‖ CRC-32/IEEE (uint32 BE) of everything before it,
// then standard base64. Error texts are the reference's.
import { crc32 } from 'node:zlib';
import { decodeBase64 } from './base64.js';
import type { Cipher } from './cipher.js';

const MAGIC = Buffer.from('escx', 'ascii');
const VERSION = 1;
/** Magic, version and checksum; the reference needs at least this many bytes (so payloads < 4 bytes never decode). */
const MIN_LENGTH = 16;

export class EnvelopeError extends Error {}

export function encodeEnvelope(payload: Uint8Array): Uint8Array {
  const out = Buffer.alloc(MAGIC.length + 4 + payload.length + 4);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(VERSION, 4);
  Buffer.from(payload).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(0, out.length - 4)) >>> 0, out.length - 4);
  return out;
}

/** Returns the payload; throws EnvelopeError with the reference's reason text. */
export function decodeEnvelope(envelope: Uint8Array): Uint8Array {
  const bytes = Buffer.from(envelope);
  if (bytes.length < MIN_LENGTH) throw new EnvelopeError('EOF');
  if (!bytes.subarray(0, 4).equals(MAGIC)) throw new EnvelopeError('invalid header');
  const expected = bytes.readUInt32BE(bytes.length - 4);
  if ((crc32(bytes.subarray(0, bytes.length - 4)) >>> 0) !== expected) throw new EnvelopeError('invalid checksum');
  if (bytes.readUInt32BE(4) !== VERSION) throw new EnvelopeError('unsupported version');
  return bytes.subarray(8, bytes.length - 4);
}

/** Base64 text → envelope payload; throws EnvelopeError (`illegal base64 data at input byte N`, `EOF`, ...). */
export function decodeCiphertext(base64: string): Uint8Array {
  const decoded = decodeBase64(base64);
  if ('error' in decoded) throw new EnvelopeError(decoded.error);
  return decodeEnvelope(decoded.bytes);
}

/** Encrypts and wraps a secret for `fn::secret: {ciphertext: ...}`. */
export async function sealSecret(cipher: Cipher, plaintext: string): Promise<string> {
  const payload = await cipher.encrypt(Buffer.from(plaintext, 'utf8'));
  return Buffer.from(encodeEnvelope(payload)).toString('base64');
}

/** Unwraps and decrypts a `ciphertext` value. Envelope problems throw EnvelopeError; cipher failures propagate. */
export async function openSecret(cipher: Cipher, base64: string): Promise<string> {
  const payload = decodeCiphertext(base64);
  const plaintext = await cipher.decrypt(payload);
  return Buffer.from(plaintext).toString('utf8');
}
