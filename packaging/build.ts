import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { packageFileNames, SERVER_PACKAGE } from "../core/server-package";
import { RETAIN_M365_VERSION } from "../core/version";
import { entriesOf, sha256Line, writeTarGz, writeZip } from "./archives";
import { bundleServerCli, type Bundle } from "./bundle";
import { LINUX_LAUNCHER, WINDOWS_LAUNCHER } from "./launchers";
import { fetchRuntime, PLATFORMS, type Platform, type Runtime } from "./runtime";

const REPO_ROOT = path.resolve(__dirname, "..");
/** Semantic Versioning 2.0's form, without build metadata: it names archives, so nothing else may be in it. */
const SEMANTIC_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/**
 * `npm run package [-- --out <dir>] [--version <v>]`: the Retain-server package for Linux and Windows (x64), each
 * `retain-m365-sync/` with a Node runtime, the bundled server-side CLI and a launcher, plus a
 * sha256sum file of both archives. The version (package.json's unless `--version` gives another, as
 * for a release candidate) is in the archive names, the VERSION file and `--version`'s output.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string", default: path.join(REPO_ROOT, "dist") }, version: { type: "string" } } });
  const outDir = path.resolve(values.out);
  const version = values.version ?? RETAIN_M365_VERSION;
  if (!SEMANTIC_VERSION.test(version)) throw new Error(`--version ${JSON.stringify(version)} is not a version such as 1.2.3 or 1.2.3-rc.1`);
  const mtime = sourceDate();
  const work = mkdtempSync(path.join(tmpdir(), "retain-m365-package-"));
  try {
    step("bundling cli/server-main.ts with esbuild");
    const bundle = await bundleServerCli(REPO_ROOT, version);
    mkdirSync(outDir, { recursive: true });
    const runtimes = new Map<Platform, Runtime>();
    for (const platform of PLATFORMS) {
      step(`${platform}: fetching Node from the registry`);
      runtimes.set(platform, await fetchRuntime(platform, work));
    }
    const license = [...runtimes.values()].find((runtime) => runtime.license)?.license;
    if (!license || new Set([...runtimes.values()].map((runtime) => runtime.version)).size !== 1)
      throw new Error("packaging/runtimes.ts must pin one Node version, for Node's LICENSE");
    const archives: string[] = [];
    for (const [platform, runtime] of runtimes) {
      const staging = stage(platform, { ...runtime, license }, bundle, version, work);
      const archive = path.join(outDir, packageFileNames(version).archive(platform));
      step(`${platform}: writing ${path.relative(process.cwd(), archive)}`);
      const entries = entriesOf(staging, SERVER_PACKAGE.name);
      await (platform.startsWith("win") ? writeZip : writeTarGz)(staging, entries, mtime, archive);
      archives.push(archive);
    }
    const sums = path.join(outDir, packageFileNames(version).checksums);
    writeFileSync(sums, (await Promise.all(archives.map(sha256Line))).join(""));
    process.stdout.write(`${[...archives, sums].map((file) => path.relative(process.cwd(), file)).join("\n")}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The package folder for one platform, every file's mode set here (not left to the umask). */
function stage(platform: Platform, runtime: Required<Runtime>, bundle: Bundle, version: string, work: string): string {
  const staging = path.join(work, `staging-${platform}`);
  const windows = platform.startsWith("win");
  const files: { to: string; from?: string; text?: string | Uint8Array; executable?: boolean }[] = [
    { to: SERVER_PACKAGE.bundle, text: bundle.code },
    { to: windows ? SERVER_PACKAGE.windowsNode : SERVER_PACKAGE.linuxNode, from: runtime.binary, executable: true },
    { to: "node/LICENSE", from: runtime.license },
    { to: windows ? SERVER_PACKAGE.windowsLauncher : SERVER_PACKAGE.linuxLauncher, text: windows ? WINDOWS_LAUNCHER : LINUX_LAUNCHER, executable: true },
    { to: "LICENSE", from: path.join(REPO_ROOT, "LICENSE") },
    { to: "NOTICE", from: path.join(REPO_ROOT, "NOTICE") },
    { to: "THIRD-PARTY-LICENSES.txt", text: bundle.thirdPartyLicenses },
    { to: "VERSION", text: `${SERVER_PACKAGE.name} ${version} for ${platform}, with Node ${runtime.version}\n` },
  ];
  for (const file of files) {
    const target = path.join(staging, SERVER_PACKAGE.name, file.to);
    mkdirSync(path.dirname(target), { recursive: true });
    if (file.from) copyFileSync(file.from, target);
    else writeFileSync(target, file.text ?? "");
    chmodSync(target, file.executable ? 0o755 : 0o644);
  }
  // Folders too: made with the umask of whoever builds, they would otherwise shut the job's user out.
  for (const entry of entriesOf(staging, SERVER_PACKAGE.name)) if (entry.endsWith("/")) chmodSync(path.join(staging, entry), 0o755);
  return staging;
}

/** The archives' timestamp: SOURCE_DATE_EPOCH if set (the reproducible-builds convention), else the commit's time. */
function sourceDate(): Date {
  const fromEnvironment = process.env.SOURCE_DATE_EPOCH;
  if (fromEnvironment !== undefined && /^\d+$/.test(fromEnvironment)) return new Date(Number(fromEnvironment) * 1000);
  try {
    return new Date(Number(execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: REPO_ROOT, encoding: "utf8" }).trim()) * 1000);
  } catch {
    return new Date(0);
  }
}

function step(text: string): void {
  process.stderr.write(`package: ${text}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`package: failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
