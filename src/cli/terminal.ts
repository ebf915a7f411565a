// Output conventions for interactive commands: colour and a progress spinner only on a terminal
// (never when the stream is piped or TERM=dumb); NO_COLOR (https://no-color.org) turns colour off,
// not the spinner, which has none.
import { isatty, type WriteStream } from 'node:tty';

type Env = Readonly<Record<string, string | undefined>>;

export interface Terminal {
  readonly color: boolean;
  readonly interactive: boolean;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function terminalFor(stream: NodeJS.WriteStream | WriteStream, env: Env = process.env): Terminal {
  const interactive = stream.isTTY === true && env.TERM !== 'dumb';
  const color = interactive && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  const paint = (code: number) => (text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { color, interactive, green: paint(32), yellow: paint(33), red: paint(31), bold: paint(1), dim: paint(2) };
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Runs `work` with a spinner and `label` on stderr when it is a terminal; prints nothing otherwise
 * (the caller reports the outcome). The line is cleared when the work ends.
 */
export async function withProgress<T>(label: string, work: () => Promise<T>, given?: NodeJS.WriteStream, env: Env = process.env): Promise<T> {
  // Asked of the descriptor first: a stream for a piped stderr is only built when something is written.
  if (given === undefined && !isatty(2)) return work();
  const stream = given ?? process.stderr;
  const term = terminalFor(stream, env);
  if (!term.interactive) return work();
  // A line wider than the terminal would wrap, and \r could not take it back.
  const room = (stream.columns || 80) - 3; // 0: a terminal that does not know its size
  const shown = label.length > room ? `${label.slice(0, Math.max(room - 1, 0))}…` : label;
  let frame = 0;
  const draw = (): void => void stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${shown}\u001b[K`);
  draw();
  const timer = setInterval(draw, 80);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    stream.write('\r\u001b[K');
  }
}
