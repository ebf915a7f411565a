// Exact comparison of decimal number texts, so `minimum`/`multipleOf` judge `0.3` against `0.1`
// the way a reader of the document does, not the way binary floats round. Pure.

/** ±coefficient × 10^exponent; `coefficient` has no leading zeros (0 is `0n`). */
interface Decimal {
  readonly negative: boolean;
  readonly coefficient: bigint;
  readonly exponent: number;
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a JSON/YAML number text; `undefined` for text that is not a finite decimal (`+Inf`, `NaN`, `0x1F`). */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const exponent = Number(exponentText) - fraction.length;
  if (!Number.isSafeInteger(exponent)) return undefined;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  return { negative: sign === '-' && digits !== '', coefficient: BigInt(digits === '' ? '0' : digits), exponent };
}

function digitCount(n: bigint): number {
  return n === 0n ? 0 : n.toString().length;
}

/** Compares magnitudes of two non-negative decimals without building huge powers of ten. */
function compareMagnitude(a: Decimal, b: Decimal): number {
  if (a.coefficient === 0n || b.coefficient === 0n) return Number(a.coefficient !== 0n) - Number(b.coefficient !== 0n);
  // The position of the leading digit decides unless both lead at the same place.
  const leadA = digitCount(a.coefficient) + a.exponent;
  const leadB = digitCount(b.coefficient) + b.exponent;
  if (leadA !== leadB) return leadA < leadB ? -1 : 1;
  // Same leading position: the exponent gap is bounded by the digit counts, so scaling is cheap.
  const shift = a.exponent - b.exponent;
  const scaledA = shift > 0 ? a.coefficient * 10n ** BigInt(shift) : a.coefficient;
  const scaledB = shift < 0 ? b.coefficient * 10n ** BigInt(-shift) : b.coefficient;
  return scaledA === scaledB ? 0 : scaledA < scaledB ? -1 : 1;
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.negative !== b.negative) return a.negative ? -1 : 1;
  const magnitude = compareMagnitude(a, b);
  return a.negative ? -magnitude : magnitude;
}

function modPow(base: bigint, exponent: number, modulus: bigint): bigint {
  let result = 1n % modulus;
  let b = base % modulus;
  let e = BigInt(exponent);
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** True when `value / divisor` is an integer; `divisor` must not be zero. */
export function isMultipleOf(value: Decimal, divisor: Decimal): boolean {
  if (value.coefficient === 0n) return true;
  const gap = value.exponent - divisor.exponent;
  if (gap >= 0) {
    // value = c·10^gap in units of the divisor's exponent: test c·10^gap ≡ 0 (mod divisor coefficient).
    return (value.coefficient % divisor.coefficient) * modPow(10n, gap, divisor.coefficient) % divisor.coefficient === 0n;
  }
  // The divisor carries more integer digits than the value has: a non-zero value cannot be a multiple.
  if (-gap >= digitCount(value.coefficient)) return false;
  return value.coefficient % (divisor.coefficient * 10n ** BigInt(-gap)) === 0n;
}

/** Converts a schema keyword value (number, EscNumber or numeric text) to a decimal. */
export function decimalOf(value: unknown): Decimal | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? parseDecimal(String(value)) : undefined;
  if (typeof value === 'string') return parseDecimal(value);
  if (value !== null && typeof value === 'object' && 'text' in value && typeof value.text === 'string') {
    return parseDecimal(value.text);
  }
  return undefined;
}

export type { Decimal };
