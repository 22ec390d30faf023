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

export type PackagePlatform = "linux-x64" | "win-x64";

/** The archives `npm run package` writes into dist/: a zip for Windows, a gzip'd tar for Linux. */
export const packageFileNames = (version: string) => ({
  archive: (platform: PackagePlatform) => `${SERVER_PACKAGE.name}-${version}-${platform}.${platform === "win-x64" ? "zip" : "tar.gz"}`,
  /** sha256sum's format, both archives. */
  checksums: `${SERVER_PACKAGE.name}-${version}.sha256`,
});
