/**
 * The Retain-server package (`npm run package`): one folder holding a Node runtime, the server-side
 * CLI bundled into one file, and a launcher per operating system. Paths inside are relative to the
 * package folder, with `/` (the Windows archive uses the same names).
 */
export const SERVER_PACKAGE = {
  name: "retain-m365-sync",
  subcommands: ["sync", "status", "schedule", "verify", "credential"],
  bundle: "lib/retain-m365-sync.cjs",
  linuxLauncher: "bin/retain-m365",
  windowsLauncher: "retain-m365.cmd",
  linuxNode: "node/bin/node",
  windowsNode: "node/node.exe",
  /** Where README's installation puts it. */
  linuxInstallDir: "/opt/retain-m365-sync",
  windowsInstallDir: "C:\\Program Files\\retain-m365-sync",
} as const;

/** The launcher of the package installed where README says, on each system. */
export const INSTALLED_LAUNCHER = {
  linux: `${SERVER_PACKAGE.linuxInstallDir}/${SERVER_PACKAGE.linuxLauncher}`,
  windows: `${SERVER_PACKAGE.windowsInstallDir}\\${SERVER_PACKAGE.windowsLauncher}`,
} as const;
