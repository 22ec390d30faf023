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

/**
 * How a nightly sync's Node runs, set by the package's launchers and by the systemd unit
 * `schedule` writes, to keep a 100,000-user sync under 150 MB (`npm run bench`): the sync waits on
 * Graph, so memory matters more than the little CPU these cost. V8 otherwise grows its young
 * generation to 16 MiB a semi-space while the directory is read and sorted; glibc (Linux) otherwise
 * keeps freed memory, such as the parser's while the bundle loads, instead of giving it back.
 */
export const SYNC_RUNTIME = {
  nodeOptions: "--max-semi-space-size=2",
  /** Read by glibc only; other C libraries ignore it. */
  glibcEnvironment: { MALLOC_TRIM_THRESHOLD_: "131072" },
} as const;

/** SYNC_RUNTIME as environment variables, for what starts a checkout's Node itself (the systemd unit, the bench). */
export const syncRuntimeEnvironment = (): Record<string, string> => ({ NODE_OPTIONS: SYNC_RUNTIME.nodeOptions, ...SYNC_RUNTIME.glibcEnvironment });
