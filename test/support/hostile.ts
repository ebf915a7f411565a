// Environments built to hurt the evaluator (issue 12, finding 3).

/** Each reference level copies the previous one ten times (r1..r9): under 1 KiB of YAML, ~10^9 values. */
export function expandingEnvironment(form: 'array' | 'string'): string {
  const lines = ['values:', '  r0: "0123456789abcdef0123456789abcdef"'];
  for (let i = 1; i <= 9; i++) {
    const refs = Array.from({ length: 10 }, () => `\${r${i - 1}}`);
    lines.push(form === 'array' ? `  r${i}: [${refs.map((r) => `"${r}"`).join(', ')}]` : `  r${i}: "${refs.join('')}"`);
  }
  lines.push('  small: ok', '');
  return lines.join('\n');
}
