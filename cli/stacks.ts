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
  shardSize?: number;
  json?: boolean;
}

/**
 * GitHub Actions: "A matrix will generate a maximum of 256 jobs per workflow run", beyond which the
 * run fails (docs.github.com, workflow syntax, `jobs.<job_id>.strategy.matrix`). The workflows keep
 * each level of their nested matrices (shards, then the stacks of a shard) within it.
 */
export const MATRIX_MAX_JOBS = 256;

/** `--shard-size`: a whole number of stacks from 1 to MATRIX_MAX_JOBS (a shard is one matrix of jobs). */
function shardSize(value: string): number {
  const size = /^[1-9][0-9]{0,3}$/.test(value) ? Number(value) : NaN;
  if (!(size <= MATRIX_MAX_JOBS)) {
    throw new UserFacingError(
      `--shard-size must be a whole number from 1 to ${MATRIX_MAX_JOBS}, GitHub's limit of jobs per matrix (got ${JSON.stringify(value)})`,
      ExitCode.invalidInput,
    );
  }
  return size;
}

/**
 * The stacks in as few shards of at most `size` as can hold them, their sizes differing by at most
 * one, each stack in exactly one, in order. More shards than one matrix may hold is refused.
 */
export function shardStacks(stacks: string[], size: number): string[][] {
  const count = Math.ceil(stacks.length / size);
  if (count > MATRIX_MAX_JOBS) {
    throw new UserFacingError(
      `${stacks.length} stacks in shards of at most ${size} make ${count} shards, more than the ${MATRIX_MAX_JOBS} jobs GitHub runs per matrix; raise --shard-size`,
      ExitCode.invalidInput,
    );
  }
  const shards: string[][] = [];
  for (let i = 0, start = 0; i < count; i++) {
    const end = start + Math.floor(stacks.length / count) + (i < stacks.length % count ? 1 : 0);
    shards.push(stacks.slice(start, end));
    start = end;
  }
  return shards;
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
    .option(
      "--shard-size <n>",
      `split the stacks into shards of at most n (1 to ${MATRIX_MAX_JOBS}), as even as can be; --json then prints an array of arrays, ` +
        "one per shard (without --json, one line per shard)",
      shardSize,
    )
    .option("--json", "print a JSON array")
    .action((options: StacksOptions) => {
      if (options.shardSize !== undefined && options.relyingOnEws) {
        throw new UserFacingError("--shard-size and --relying-on-ews cannot be used together", ExitCode.invalidInput);
      }
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
      if (options.shardSize !== undefined) {
        const shards = shardStacks(stacks, options.shardSize);
        return io.stdout(options.json ? `${JSON.stringify(shards)}\n` : shards.map((shard) => `${shard.join(" ")}\n`).join(""));
      }
      io.stdout(options.json ? `${JSON.stringify(stacks)}\n` : stacks.map((stack) => `${stack}\n`).join(""));
    });
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "")
      .trim()
      .split("\n")[0];
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
