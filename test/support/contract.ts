import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { main } from "../../cli/main";
import { ExitCode } from "../../core/errors";
import { REPO_ROOT } from "./cli";
import { setEnvironment } from "./environment";

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in this process, as `retain-m365 <args>` would, capturing what it prints: `env`
 * sets (a string) or removes (undefined) variables and `cwd` (else this process's, the
 * repository's under `npm test`) is the working folder, both for this run only. What only a
 * process shows (its exit, signals, the modules it loads, bin/retain-m365.js) is a system test's,
 * with runCli.
 */
export async function runMain(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string | undefined>>; cwd?: string } = {},
): Promise<MainResult> {
  let stdout = "";
  let stderr = "";
  const restoreEnvironment = setEnvironment(options.env ?? {});
  const cwd = process.cwd();
  try {
    if (options.cwd) process.chdir(options.cwd);
    const code = await main(["node", "retain-m365", ...args], { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
    return { code, stdout, stderr };
  } finally {
    process.chdir(cwd);
    restoreEnvironment();
  }
}

/** README's "which subcommand can return which" table: subcommand → its exit codes. */
export function exitCodeTable(markdown = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8")): Map<string, number[]> {
  const header = "| Subcommand | 0 | 1 | 2 | 3 | 4 | 5 | 6 |";
  const start = markdown.indexOf(header);
  assert.ok(start >= 0, "the exit-code table");
  const table = new Map<string, number[]>();
  for (const row of markdown.slice(start).split("\n").slice(2)) {
    if (!row.startsWith("| `")) break;
    const cells = row
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
    table.set(
      cells[0]!.replace(/`/g, ""),
      cells.slice(1).flatMap((cell, code) => (cell === "✓" ? [code] : [])),
    );
  }
  return table;
}

const STACK_TRACE_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/**
 * What every run must hold, whatever its input: an exit code the README allows the subcommand and
 * never 1 (unexpected), no stack trace, none of the secrets it was given, and a one-line reason on
 * failure.
 */
export function assertContract(subcommand: string, result: MainResult, secrets: readonly string[], input: unknown): void {
  const allowed = exitCodeTable().get(subcommand) ?? [ExitCode.ok, ExitCode.invalidInput];
  const context = `${JSON.stringify(input)}\n${result.stderr}`;
  assert.notEqual(result.code, ExitCode.unexpected, `unexpected failure for ${context}`);
  assert.ok(allowed.includes(result.code), `exit ${result.code} is not one of ${subcommand}'s (${allowed.join(", ")}) for ${context}`);
  assert.doesNotMatch(result.stderr, STACK_TRACE_LINE, `a stack trace for ${context}`);
  for (const secret of secrets) assert.ok(!(result.stdout + result.stderr).includes(secret), `a secret was echoed for ${context}`);
  if (result.code !== ExitCode.ok) assert.match(result.stderr, /retain-m365: \S|error: /, `no reason given for ${context}`);
}
