// Line diffs in unified format as the reference CLI prints them (gotextdiff's ToUnified): three lines
// of context, `@@ -a,b +c,d @@` with the count left out when it is not above 1, and
// `\ No newline at end of file` after a last line that has none.

interface Line {
  readonly text: string;
  /** The last line of a text that does not end with a newline. */
  readonly open: boolean;
}

function splitLines(text: string): Line[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const closed = text.endsWith('\n');
  if (closed) parts.pop();
  return parts.map((p, i) => ({ text: p, open: !closed && i === parts.length - 1 }));
}

type Op = { kind: ' ' | '-' | '+'; line: Line; a: number; b: number };

/** The shortest edit script by Myers' algorithm (as gotextdiff), deletions before insertions. */
function edits(a: readonly Line[], b: readonly Line[]): Op[] {
  const same = (x: Line, y: Line): boolean => x.text === y.text && x.open === y.open;
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Array<number>(2 * max + 3).fill(0);
  const trace: number[][] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push([...v]);
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && same(a[x]!, b[y]!)) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', line: a[x]!, a: x, b: y });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[prevY]!, a: x, b: prevY });
      else ops.push({ kind: '-', line: a[prevX]!, a: prevX, b: y });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

const range = (start: number, count: number): string => (count > 1 ? `${start},${count}` : `${start}`);

/** The unified diff of two texts, labelled; empty when they are equal. */
export function unifiedDiff(from: string, to: string, fromLabel: string, toLabel: string, context = 3): string {
  if (from === to) return '';
  const ops = edits(splitLines(from), splitLines(to));
  const changed = ops.map((op, i) => (op.kind !== ' ' ? i : -1)).filter((i) => i >= 0);
  let out = `--- ${fromLabel}\n+++ ${toLabel}\n`;
  let k = 0;
  while (k < changed.length) {
    let start = Math.max(0, changed[k]! - context);
    let end = Math.min(ops.length, changed[k]! + context + 1);
    while (k + 1 < changed.length && changed[k + 1]! - context <= end) {
      k++;
      end = Math.min(ops.length, changed[k]! + context + 1);
    }
    k++;
    const hunk = ops.slice(start, end);
    const fromCount = hunk.filter((o) => o.kind !== '+').length;
    const toCount = hunk.filter((o) => o.kind !== '-').length;
    const first = ops[start]!;
    out += `@@ -${range(first.a + 1, fromCount)} +${range(first.b + 1, toCount)} @@\n`;
    for (const op of hunk) {
      out += `${op.kind}${op.line.text}\n`;
      if (op.line.open) out += '\\ No newline at end of file\n';
    }
    start = end;
  }
  return out;
}
