// The reference CLI's text formats that the env verbs reproduce: unified diffs (gotextdiff), the
// editor command line, the secret-looking-value rule, Go's time layout and the tag table.
import { describe, expect, it } from 'vitest';
import { parseEditorCommand } from '../../src/cli/commands/env-write.js';
import { formatTable, goTime } from '../../src/cli/format/history.js';
import { unifiedDiff } from '../../src/cli/format/unified-diff.js';
import { looksLikeSecret } from '../../src/cli/secret-heuristic.js';

describe('unifiedDiff', () => {
  it('prints nothing for equal texts, hunks with 3 lines of context, counts only above 1', () => {
    expect(unifiedDiff('a\n', 'a\n', 'x', 'y')).toBe('');
    const from = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n';
    const to = 'l1\nl2\nl3\nL4\nl5\nl6\nl7\nl8\n';
    expect(unifiedDiff(from, to, 'x@1', 'x@2')).toBe('--- x@1\n+++ x@2\n@@ -1,7 +1,7 @@\n l1\n l2\n l3\n-l4\n+L4\n l5\n l6\n l7\n');
  });

  it('marks a last line without newline and starts an empty side at line 1', () => {
    expect(unifiedDiff('', '{\n}', 'a', 'b')).toBe('--- a\n+++ b\n@@ -1 +1,2 @@\n+{\n+}\n\\ No newline at end of file\n');
  });

  it('matches a common line as early as it can (Myers), deletions before insertions', () => {
    const diff = unifiedDiff('{\n  "e": {\n    "F": 1\n  },\n  "s": 1\n}\n', '{\n  "e": {\n    "F": 2\n  },\n  "o": {\n  },\n  "s": 1\n}\n', 'a', 'b');
    expect(diff).toBe('--- a\n+++ b\n@@ -1,6 +1,8 @@\n {\n   "e": {\n-    "F": 1\n+    "F": 2\n   },\n+  "o": {\n+  },\n   "s": 1\n }\n');
  });
});

describe('the reference rules', () => {
  it('splits an editor command as the reference does', () => {
    expect(parseEditorCommand('editor --some-flag --other-flag="a\\"b"')).toEqual(['editor', '--some-flag', '--other-flag=a"b']);
    expect(parseEditorCommand('  "my editor"  -w ')).toEqual(['my editor', '-w']);
    expect(parseEditorCommand('')).toEqual([]);
  });

  it('calls a random string under a password-like key a secret, and nothing else', () => {
    expect(looksLikeSecret('password', 'YMHdog6VkUqbVS5dAErxWeMy83r4HeBeNRdEuUFwK3M=')).toBe(true);
    expect(looksLikeSecret('apiToken', 'x8Kq2LmZ9vR4tN7w')).toBe(true);
    expect(looksLikeSecret('password', 'hunter2')).toBe(false);
    expect(looksLikeSecret('password', 'aaaaaaaaaaaaaaaaaaaa')).toBe(false);
    expect(looksLikeSecret('password', 'abcdefghijklmnop')).toBe(false);
    expect(looksLikeSecret('region', 'YMHdog6VkUqbVS5dAErxWeMy83r4HeBeNRdEuUFwK3M=')).toBe(false);
    expect(looksLikeSecret(0, 'YMHdog6VkUqbVS5dAErxWeMy83r4HeBeNRdEuUFwK3M=')).toBe(false);
    expect(looksLikeSecret('password', 1234)).toBe(false);
  });

  it("prints times in Go's layout, unknown ones as the zero time", () => {
    expect(goTime('1970-01-01T05:00:00.000Z', true)).toBe('1970-01-01 05:00:00 +0000 UTC');
    expect(goTime(undefined, true)).toBe('0001-01-01 00:00:00 +0000 UTC');
  });

  it('draws the tag table with right-aligned revisions', () => {
    expect(formatTable(['NAME', 'REVISION'], [['latest', '4'], ['a', '12']], new Set([1]))).toBe(
      '┌────────┬──────────┐\n│ NAME   │ REVISION │\n├────────┼──────────┤\n│ latest │        4 │\n│ a      │       12 │\n└────────┴──────────┘\n',
    );
  });
});
