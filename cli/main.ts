import type { Command } from "commander";
import { registerAdoptCommand } from "./adopt";
import { registerCredentialCommand } from "./credential";
import { registerPlanCommand } from "./plan";
import { registerReadinessCommand } from "./readiness";
import { registerScheduleCommand } from "./schedule";
import { registerStacksCommand } from "./stacks";
import { registerStatusCommand } from "./status";
import { registerSyncCommand } from "./sync";
import { registerVerifyCommand } from "./verify";
import { defaultIo, type Io } from "./io";
import { runCommand, topLevelCommand } from "./run-command";

/** The repository's command tree; each subcommand lives in a module of its own. */
export function buildCli(io: Io): Command {
  const program = topLevelCommand(io, "Prepare a Microsoft 365 tenant for archiving with Retain and keep Retain's address book in sync.");
  registerPlanCommand(program, io);
  registerAdoptCommand(program, io);
  registerReadinessCommand(program, io);
  registerSyncCommand(program, io);
  registerStatusCommand(program, io);
  registerScheduleCommand(program, io);
  registerVerifyCommand(program, io);
  registerStacksCommand(program, io);
  registerCredentialCommand(program, io);
  return program;
}

/** Runs the CLI and returns the process exit code (docs/cli.md, "Exit codes"). */
export function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  return runCommand(buildCli(io), argv, io);
}
