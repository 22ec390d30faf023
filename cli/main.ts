import { Command, CommanderError, Option } from "commander";
import { ExitCode, UserFacingError } from "../lib/errors";
import { registerPlanCommand } from "./plan";
import { registerScheduleCommand } from "./schedule";
import { registerStacksCommand } from "./stacks";
import { registerSyncCommand } from "./sync";
import { registerVerifyCommand } from "./verify";

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Rewrites one status line; only when stderr is a terminal. */
  progress?: (line: string) => void;
}

const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progress: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[2K${line}`) : undefined,
};

/** Builds the command tree; each subcommand lives in a module of its own. */
export function buildCli(io: Io): Command {
  const program = new Command("retain-m365")
    .description("Prepare a Microsoft 365 tenant for archiving with Retain and keep Retain's address book in sync.")
    .addOption(new Option("--debug", "show stack traces of unexpected errors"))
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerPlanCommand(program, io);
  registerSyncCommand(program, io);
  registerScheduleCommand(program, io);
  registerVerifyCommand(program, io);
  registerStacksCommand(program, io);
  return program;
}

/** Runs the CLI and returns the process exit code (DESIGN.md, "CLI contract"). */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const debug = argv.includes("--debug");
  try {
    await buildCli(io).parseAsync([...argv]);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; any usage mistake is invalid input.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    }
    if (error instanceof UserFacingError) {
      io.stderr(`retain-m365: ${error.message}\n`);
      if (debug && error.stack) io.stderr(`${error.stack}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`retain-m365: unexpected failure: ${message.split("\n")[0]}${debug ? "" : " (run with --debug for details)"}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return ExitCode.unexpected;
  }
}
