import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildCli } from "../../cli/main";
import { REPO_ROOT } from "./cli";

/** The `retain-m365 …`, `npm run …` and `bash …` invocations in shell text (workflow steps, runbook code blocks). */
export function commandsIn(text: string): string[][] {
  const commands: string[][] = [];
  for (const line of text.split("\n")) {
    for (const match of line.matchAll(/(?:npx\s+)?(retain-m365|npm run|bash)\s+([a-z.-][^|;&>)`]*)/g)) {
      const words = match[2]!.trim().split(/\s+/).filter(Boolean);
      const comment = words.findIndex((word) => word.startsWith("#"));
      if (comment >= 0) words.length = comment;
      commands.push([match[1]!, ...words]);
    }
  }
  return commands;
}

/** What is wrong with a command, checked against the CLI, package.json and the files of the repository; undefined when it exists. */
export function problemWith(command: readonly string[]): string | undefined {
  const [tool, first, ...rest] = command;
  if (tool === "npm run") {
    const { scripts } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    return first && first in scripts ? undefined : `npm run ${first ?? ""}: no such script`;
  }
  if (tool === "bash") return first && existsSync(path.join(REPO_ROOT, first)) ? undefined : `bash ${first ?? ""}: no such file`;
  const program = buildCli({ stdout: () => undefined, stderr: () => undefined });
  // A global option alone (`retain-m365 --version`) is a command too.
  if (first?.startsWith("-") && rest.length === 0)
    return program
      .createHelp()
      .visibleOptions(program)
      .some((o) => o.long === first || o.short === first)
      ? undefined
      : `retain-m365 ${first}: unknown option`;
  const parent = program.commands.find((c) => c.name() === first);
  if (!parent) return `retain-m365 ${first ?? ""}: no such subcommand`;
  // A command with subcommands of its own (`credential new`): the second word names one.
  const subcommand = parent.commands.length > 0 ? parent.commands.find((c) => c.name() === rest[0]) : parent;
  if (!subcommand) return `retain-m365 ${first} ${rest[0] ?? ""}: no such subcommand`;
  const known = new Set(["--help", ...program.options.map((o) => o.long), ...subcommand.options.map((o) => o.long)]);
  const unknown = [first, ...rest]
    .filter((word) => word?.startsWith("--"))
    .map((word) => word!.split("=")[0]!)
    .filter((option) => !known.has(option));
  return unknown.length > 0 ? `retain-m365 ${first}: unknown option ${unknown.join(", ")}` : undefined;
}
