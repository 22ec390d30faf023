import { RETAIN_M365_VERSION } from "../core/version";
import { Command, CommanderError, Help, Option } from "commander";
import { ExitCode, fileSystemRefusal, UserFacingError } from "../core/errors";
import type { Io } from "./io";
import { UNWRITABLE_REASON } from "../core/writable-text";

/**
 * `-V, --version`: alone, or after subcommand names only; never an option among others. Commander's own version
 * option is a program option it would also see after a subcommand, where `--user -V` would then
 * print the version instead of passing "-V" on; so it is answered here, and only listed in help.
 */
const VERSION_OPTION = new Option("-V, --version", "print the version and exit");
const isVersionRequest = (argv: readonly string[]) => {
  const words = argv.slice(2);
  const last = words.at(-1);
  // Alone, or after subcommand names only (`retain-m365 sync --version`): never as an option's value.
  return (last === "--version" || last === "-V") && words.slice(0, -1).every((word) => !word.startsWith("-"));
};

/** The top-level command, without subcommands: the repository's CLI and the Retain-server package add theirs. */
export function topLevelCommand(io: Io, description: string): Command {
  const program = new Command("retain-m365");
  return program
    .description(description)
    .configureHelp({ visibleOptions: (command) => [...new Help().visibleOptions(command), ...(command === program ? [VERSION_OPTION] : [])] })
    .addOption(new Option("--debug", "show stack traces of unexpected errors"))
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
}

/** Runs a command tree and returns the process exit code (docs/cli.md, "Exit codes"). */
export async function runCommand(program: Command, argv: readonly string[], io: Io): Promise<number> {
  const debug = argv.includes("--debug");
  if (isVersionRequest(argv)) {
    io.stdout(`${RETAIN_M365_VERSION}\n`);
    return ExitCode.ok;
  }
  try {
    refuseNulCharacters(argv);
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (thrown) {
    const error = fileSystemRefusal(thrown) ?? thrown;
    if (error instanceof CommanderError) {
      // Help exits 0; any usage mistake is invalid input.
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

/** No operating system passes a NUL inside an argument; one given in-process is refused, naming its flag, not passed to a file call. */
function refuseNulCharacters(argv: readonly string[]): void {
  const index = argv.findIndex((argument) => argument.includes("\0"));
  if (index < 0) return;
  const argument = argv[index]!;
  const previous = argv[index - 1] ?? "";
  const flag = /^--[\w-]+=/.test(argument) ? argument.slice(0, argument.indexOf("=")) : previous.startsWith("-") ? previous : `argument ${index - 1}`;
  throw new UserFacingError(`${flag} ${UNWRITABLE_REASON} (got ${JSON.stringify(argument)})`, ExitCode.invalidInput);
}
