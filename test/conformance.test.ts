// The main group of the ESC conformance corpus through vitest (the full report is `npm run conformance`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseGroup, listCases, runAndCompare } from './conformance/harness.js';
import { corpusDir } from './conformance/run.js';

const corpus = corpusDir([]);
const casesDir = join(corpus, 'cases');
const present = existsSync(casesDir);

if (!present) {
  const reason = `conformance corpus not found at ${corpus} (set ESC_CONFORMANCE_DIR)`;
  if (process.env['ESCD_REQUIRE_E2E'] === '1') {
    describe('conformance', () => {
      it('needs the corpus', () => {
        throw new Error(reason);
      });
    });
  } else {
    console.warn(`skipping: ${reason}`);
    describe.skip('conformance', () => {
      it('corpus absent', () => undefined);
    });
  }
} else {
  const cases = listCases(casesDir).filter((name) => caseGroup(join(casesDir, name), {}) === 'main');
  describe('conformance (main group)', () => {
    it('has cases', () => {
      expect(cases.length).toBeGreaterThan(0);
    });
    for (const name of cases) {
      it(name, async () => {
        const outcome = await runAndCompare(casesDir, name);
        if (outcome.group !== 'main') return;
        expect(outcome.differences).toEqual([]);
      });
    }
  });
}
