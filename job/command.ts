import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { INSTALLED_LAUNCHER, SERVER_PACKAGE } from "../core/server-package";

/** Where the running CLI is installed (cli/installation.ts); a nightly job made there runs the same installation. */
export interface Installation {
  /** Set when running from the Retain-server package: its own launcher, for jobs on this operating system. */
  packageLauncher?: string;
}

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
    if (installation.packageLauncher !== undefined && ownSystem)
      return { words: [installation.packageLauncher], from: "this package's launcher (or --launcher)" };
    if (windows || installation.packageLauncher !== undefined)
      return { words: [windows ? INSTALLED_LAUNCHER.windows : INSTALLED_LAUNCHER.linux], from: "--launcher" };
  }
  const node = options.node ?? (windows ? WINDOWS_CHECKOUT.node : process.execPath);
  const cli = options.cli ?? (windows ? WINDOWS_CHECKOUT.cli : path.resolve(__dirname, "..", "bin", "retain-m365.js"));
  return { words: [node, cli], from: options.node === undefined && options.cli === undefined ? "this checkout (or --launcher)" : "--node/--cli" };
}

const HIDDEN_BY_PROTECT_HOME = ["/root", "/home", "/run/user"];
const REPLACED_BY_PRIVATE_TMP = ["/tmp", "/var/tmp"];
const folderHolding = (file: string, folders: string[]) => folders.find((folder) => file === folder || file.startsWith(`${folder}/`));

/**
 * systemd starts the job inside its sandbox, where ProtectHome=yes makes /root, /home and
 * /run/user empty: a program there fails to start (203/EXEC), a folder to write there fails the
 * set-up (226/NAMESPACE); both are refused. PrivateTmp=yes gives the job an empty /tmp and
 * /var/tmp of its own: that is a warning, returned.
 */
export function checkVisibleToSystemdJob(command: JobCommand, writes: { folder: string; from: string }[] = []): string[] {
  const warnings: string[] = [];
  for (const word of command.words) {
    if (!path.posix.isAbsolute(word)) throw new UserFacingError(`${command.from}: systemd needs an absolute path (got "${word}")`, ExitCode.invalidInput);
    const hidden = folderHolding(word, HIDDEN_BY_PROTECT_HOME);
    if (hidden) {
      throw new UserFacingError(
        `${command.from}: the job would start ${word}, which lies under ${hidden}, and the unit's ProtectHome=yes hides that folder from the job (it would fail with 203/EXEC); ` +
          `unpack the Retain-server package to ${SERVER_PACKAGE.linuxInstallDir} and give --launcher, or put the checkout outside /root and /home`,
        ExitCode.invalidInput,
      );
    }
  }
  for (const { folder, from } of writes) {
    const hidden = folderHolding(folder, HIDDEN_BY_PROTECT_HOME);
    if (hidden)
      throw new UserFacingError(
        `${from}: the job would write to ${folder}, which lies under ${hidden}, and the unit's ProtectHome=yes hides that folder from the job; choose a folder elsewhere`,
        ExitCode.invalidInput,
      );
  }
  for (const { file, from } of [
    ...command.words.map((word) => ({ file: word, from: command.from })),
    ...writes.map(({ folder, from }) => ({ file: folder, from })),
  ]) {
    const replaced = folderHolding(file, REPLACED_BY_PRIVATE_TMP);
    if (replaced)
      warnings.push(
        `${from}: ${file} lies under ${replaced}, which the unit's PrivateTmp=yes replaces with an empty folder for the job: the job will not see what is there now`,
      );
  }
  return warnings;
}
