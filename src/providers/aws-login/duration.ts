// Go's duration syntax (time.ParseDuration), which the reference's `duration` input uses:
// a sequence of decimal numbers with units, e.g. `1h`, `30m`, `1h30m`, `3600s`, `1.5h`. Pure.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/gy;

/** Milliseconds, or undefined when `text` is not a Go duration. Negative durations are rejected: none is meaningful here. */
export function parseGoDuration(text: string): number | undefined {
  const body = text.startsWith('+') ? text.slice(1) : text;
  if (body === '0') return 0;
  if (body === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = PART.exec(body); match !== null; match = PART.exec(body)) {
    const unit = UNIT_MS[match[2]!];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
    end = PART.lastIndex;
  }
  return end === body.length && end > 0 ? total : undefined;
}

/** `1h30m`-style text for a whole number of seconds (for messages). */
export function formatSeconds(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text || '0s';
}
