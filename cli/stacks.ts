import { execFileSync } from "node:child_process";
import path from "node:path";
import type { Command } from "commander";
import { stacksTouchedBy } from "./changed-stacks";
import { listStacks, loadValidatedStack } from "../config/stack-file";
import { ExitCode, UserFacingError } from "../core/errors";
import { ewsShutdown, reliesOnEws } from "../m365/ews-retirement";
import { gitRevision } from "./arguments";
import type { Io } from "./io";

interface StacksOptions {
  stacksDir: string;
  changedSince?: string;
  relyingOnEws?: boolean;
  json?: boolean;
}

const NO_COMMIT = /^0{40}$/;

export function registerStacksCommand(program: Command, io: Io): void {
  program
    .command("stacks")
    .description(
      "List the tenant stacks (one per line, or a JSON array for a CI matrix). With --changed-since, only " +
        "the stacks a change touches: its changed stack files, or every stack when the program itself changed. With " +
        "--relying-on-ews, only those that still give Retain its access through EWS (read from each validated stack file).",
    )
    .option("--stacks-dir <dir>", "folder of the stack files", "stacks")
    .option("--changed-since <git-ref>", "compare HEAD with this commit (a pull request's base, or the commit before a push)", gitRevision)
    .option(
      "--relying-on-ews",
      "only the stacks whose Retain reaches mailboxes through EWS (the EWS role, or impersonation); --json then prints " +
        "{shutdown, daysLeft, stacks}: the day EWS ends in Exchange Online and the days left",
    )
    .option("--json", "print a JSON array")
    .action((options: StacksOptions) => {
      const all = listStacks(options.stacksDir);
      let stacks = all;
      if (options.changedSince && !NO_COMMIT.test(options.changedSince)) {
        stacks = stacksTouchedBy(changedFiles(options.changedSince), path.relative(gitRoot(), path.resolve(options.stacksDir)), all);
      }
      if (options.relyingOnEws) {
        // Every stack deploys to the worldwide cloud (the program's endpoints), whose date is known.
        stacks = stacks.filter((stack) => reliesOnEws(loadValidatedStack(options.stacksDir, stack).config.exchangeAccess));
        const { shutdown, daysLeft } = ewsShutdown("global");
        if (options.json) return io.stdout(`${JSON.stringify({ shutdown, daysLeft, stacks })}\n`);
      }
      io.stdout(options.json ? `${JSON.stringify(stacks)}\n` : stacks.map((stack) => `${stack}\n`).join(""));
    });
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim().split("\n")[0];
    throw new UserFacingError(`git ${args.join(" ")} failed: ${stderr || (error as Error).message}`, ExitCode.invalidInput);
  }
}

const gitRoot = () => git(["rev-parse", "--show-toplevel"]).trim();

/** Files changed between the merge base of `ref` and HEAD, relative to the repository root. */
function changedFiles(ref: string): string[] {
  return git(["diff", "--name-only", "--no-renames", `${ref}...HEAD`])
    .split("\n")
    .filter((line) => line !== "");
}
