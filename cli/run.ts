import { Command, CommanderError, Option } from "commander";
import { ExitCode, UserFacingError } from "../core/errors";
import type { Io } from "./io";

/** The top-level command, without subcommands: the repository's CLI and the Retain-server package add theirs. */
export function topLevelCommand(io: Io): Command {
  return new Command("retain-m365")
    .description("Prepare a Microsoft 365 tenant for archiving with Retain and keep Retain's address book in sync.")
    .addOption(new Option("--debug", "show stack traces of unexpected errors"))
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
}

/** Runs a command tree and returns the process exit code (docs/cli.md, "Exit codes"). */
export async function runCommand(program: Command, argv: readonly string[], io: Io): Promise<number> {
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync([...argv]);
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
