import type { Command } from "commander";
import { registerCredentialCommand } from "./credential";
import type { Installation } from "../job/command";
import { packageInstallation } from "./installation";
import { defaultIo, type Io } from "./io";
import { runCommand, topLevelCommand } from "./run-command";
import { registerScheduleCommand } from "./schedule";
import { registerStatusCommand } from "./status";
import { registerSyncCommand } from "./sync";
import { registerVerifyCommand } from "./verify";

/**
 * The Retain-server package's command tree (`npm run package` bundles this file): the subcommands a
 * Retain server needs, from the same modules as the repository's CLI, so flags and exit codes agree.
 */
export function buildServerCli(io: Io, installation: Installation): Command {
  const program = topLevelCommand(
    io,
    "The Retain server's side of retain-m365: writes Retain's address book (exchangeuser.csv, exchangegroups.csv) from Microsoft 365 each night, " +
      "installs that nightly job (schedule), reports its health (status), checks Retain's access to a mailbox (verify --access) and makes Retain's app certificate (credential new).",
  );
  registerSyncCommand(program, io);
  registerStatusCommand(program, io);
  registerScheduleCommand(program, io, installation);
  registerVerifyCommand(program, io);
  registerCredentialCommand(program, io);
  return program;
}

if (require.main === module) {
  // The bundle lies in <package>/lib, so the package's launchers are found from its own path.
  const installation = packageInstallation(__filename);
  void runCommand(buildServerCli(defaultIo, installation), process.argv, defaultIo).then((code) => {
    process.exitCode = code;
  });
}
