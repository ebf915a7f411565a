// The reference CLI corpus (../shared/esc-cli-conformance) through vitest; the full report is
// `npm run conformance:cli`. Every case passes.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { casesPresent, listCases, referenceScript, runCases } from './cli-conformance/harness.js';
import { cliCorpusDir, harnessOptions } from './cli-conformance/run.js';

const corpus = cliCorpusDir([]);
const present = casesPresent(corpus);

describe('cli conformance harness', () => {
  it('gives arithmetic tests the reference interpreter\'s meaning (a non-number is 0)', () => {
    const script = referenceScript(`if [[ "$1" -ne "-w" ]]; then exit 1; fi\n`);
    expect(script).toContain(`[[ "$(__esc_atoi "$1")" -ne "$(__esc_atoi "-w")" ]]`);
  });
});

if (!present) {
  const reason = `cli conformance corpus not found at ${corpus} (set ESC_CLI_CONFORMANCE_DIR)`;
  if (process.env['ESCD_REQUIRE_E2E'] === '1') {
    describe('cli conformance', () => {
      it('needs the corpus', () => {
        throw new Error(reason);
      });
    });
  } else {
    console.warn(`skipping: ${reason}`);
    describe.skip('cli conformance', () => {
      it('corpus absent', () => undefined);
    });
  }
} else {
  describe('cli conformance', () => {
    it('every case passes', { timeout: 900_000 }, async () => {
      const options = harnessOptions();
      expect(existsSync(options.entry), `${options.entry}: run npm run build`).toBe(true);
      const casesDir = join(corpus, 'cases');
      expect(listCases(casesDir).length).toBeGreaterThan(0);
      const outcomes = await runCases(casesDir, options, availableParallelism());
      const failed = outcomes.filter((o) => !o.passed).map((o) => o.name);
      const passed = outcomes.length - failed.length;
      console.log(`cli conformance: ${passed} passed, ${failed.length} failed${failed.length ? ` (${failed.join(', ')})` : ''}`);
      expect(failed).toEqual([]);
    });
  });
}
