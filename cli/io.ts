/** Where a command writes: stdout for results, stderr for messages and progress. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Rewrites one status line; only when stderr is a terminal. */
  progress?: (line: string) => void;
}

export const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progress: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[2K${line}`) : undefined,
};
