import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { INSTALLED_LAUNCHER, SERVER_PACKAGE } from "../core/server-package";
import type { Installation } from "./installation";

// With --node/--cli on Windows: a checkout of this repository instead of the package.
const WINDOWS_CHECKOUT = { node: "C:\\Program Files\\nodejs\\node.exe", cli: "C:\\Program Files\\retain-m365\\bin\\retain-m365.js" };

/** What the job starts: the package's launcher, or Node with a repository checkout's bin/retain-m365.js. */
export interface JobCommand {
  /** Executable, then the arguments before `sync`. */
  words: string[];
  /** The flag a wrong path came from. */
  from: string;
}

/** The flags that choose what the job starts. */
export interface JobCommandOptions {
  windows?: boolean;
  launcher?: string;
  node?: string;
  cli?: string;
}

export function jobCommand(options: JobCommandOptions, installation: Installation): JobCommand {
  const windows = options.windows === true;
  if (options.launcher !== undefined) return { words: [options.launcher], from: "--launcher" };
  if (options.node === undefined && options.cli === undefined) {
    const ownSystem = (process.platform === "win32") === windows;
    if (installation.packageLauncher !== undefined && ownSystem) return { words: [installation.packageLauncher], from: "this package's launcher (or --launcher)" };
    if (windows || installation.packageLauncher !== undefined) return { words: [windows ? INSTALLED_LAUNCHER.windows : INSTALLED_LAUNCHER.linux], from: "--launcher" };
  }
  const node = options.node ?? (windows ? WINDOWS_CHECKOUT.node : process.execPath);
  const cli = options.cli ?? (windows ? WINDOWS_CHECKOUT.cli : path.resolve(__dirname, "..", "bin", "retain-m365.js"));
  return { words: [node, cli], from: options.node === undefined && options.cli === undefined ? "this checkout (or --launcher)" : "--node/--cli" };
}

const HIDDEN_BY_PROTECT_HOME = ["/root", "/home", "/run/user"];

/** systemd starts the job inside its sandbox, where ProtectHome=yes makes these folders empty: the start would fail with 203/EXEC. */
export function checkVisibleToSystemdJob(command: JobCommand): void {
  for (const word of command.words) {
    if (!path.posix.isAbsolute(word)) throw new UserFacingError(`${command.from}: systemd needs an absolute path (got "${word}")`, ExitCode.invalidInput);
    const hidden = HIDDEN_BY_PROTECT_HOME.find((folder) => word === folder || word.startsWith(`${folder}/`));
    if (hidden) {
      throw new UserFacingError(
        `${command.from}: the job would start ${word}, which lies under ${hidden}, and the unit's ProtectHome=yes hides that folder from the job (it would fail with 203/EXEC); ` +
          `unpack the Retain-server package to ${SERVER_PACKAGE.linuxInstallDir} and give --launcher, or put the checkout outside /root and /home`,
        ExitCode.invalidInput,
      );
    }
  }
}
