// `npm run bench -- package`: the Retain-server package (dist/, built by `npm run package` when
// missing) unpacked into a temp folder: start of `--help` (median of 5) by hand and as the nightly
// job (its cache folder filled), next to the repository's CLI, and the peak RSS of a packaged sync
// of the 100,000-user tenant, the job's first night (no compile cache yet) and a later one.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { packageFileNames, SERVER_PACKAGE } from "../core/server-package";
import { directoryRoutes } from "../emulators/directory";
import { syntheticTenant } from "../emulators/directory-tenant";
import { startGraphEmulator } from "../emulators/graph";
import { testTls } from "../emulators/tls";
import { runCaptured, syncArguments, type Finished } from "./child-process";

const ROOT = path.resolve(__dirname, "..");
const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "bench-secret";

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return runCaptured(command, args, { cwd: tmpdir(), env: { PATH: "/usr/bin:/bin", NODE_EXTRA_CA_CERTS: testTls().caFile, ...env } });
}

async function medianMs(command: string, args: string[], env: NodeJS.ProcessEnv = {}, times = 5): Promise<number> {
  const all: number[] = [];
  for (let i = 0; i < times; i++) all.push((await run(command, args, env)).ms);
  return all.sort((a, b) => a - b)[Math.floor(times / 2)] as number;
}

export async function benchPackage(): Promise<void> {
  const version = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  const archive = path.join(ROOT, "dist", packageFileNames(version).archive("linux-x64"));
  if (!existsSync(archive)) execFileSync("npm", ["run", "--silent", "package"], { cwd: ROOT, stdio: "inherit" });
  const unpacked = mkdtempSync(path.join(tmpdir(), "bench-package-"));
  execFileSync("tar", ["-xzf", archive, "-C", unpacked]);
  const launcher = path.join(unpacked, SERVER_PACKAGE.name, SERVER_PACKAGE.linuxLauncher);

  console.log("\n## (package) the Retain-server package, unpacked\n");
  const packaged = await medianMs(launcher, ["--help"]);
  // As systemd starts the job: CacheDirectory= named in CACHE_DIRECTORY, where the launcher keeps Node's compile cache; one start fills it.
  const helpCache = { CACHE_DIRECTORY: mkdtempSync(path.join(tmpdir(), "bench-package-cache-")) };
  await run(launcher, ["--help"], helpCache);
  const asJob = await medianMs(launcher, ["--help"], helpCache);
  const repository = await medianMs(process.execPath, [path.join(ROOT, "bin", "retain-m365.js"), "--help"]);
  // How fast this machine starts Node at all: the start-up figures are only comparable with it.
  const bare = await medianMs(path.join(unpacked, SERVER_PACKAGE.name, SERVER_PACKAGE.linuxNode), ["-e", "0"]);
  console.log(
    `| run | median of 5 |\n|---|---|\n| packaged \`--help\`, by hand (no compile cache) | ${packaged.toFixed(0)} ms |\n| packaged \`--help\` as the job (its compile cache filled) | ${asJob.toFixed(0)} ms |\n| repository \`--help\` (bin/retain-m365.js, bundle built) | ${repository.toFixed(0)} ms |\n| the package's Node alone (\`node -e 0\`) | ${bare.toFixed(0)} ms |`,
  );
  console.log(`\ncold start target ≤ 150 ms: ${Math.max(packaged, asJob) <= 150 ? "met" : "NOT met"}`);

  const tenant = syntheticTenant(2, { users: 100_000, groups: 20_000, memberships: 400_000 });
  tenant.throttle = true;
  tenant.latencyMs = 20;
  const emulator = await startGraphEmulator({
    token: "bench-token",
    clients: { [APP]: SECRET },
    routes: [(request, e) => directoryRoutes(tenant)(request, e)],
  });
  try {
    const jobCache = { CACHE_DIRECTORY: mkdtempSync(path.join(tmpdir(), "bench-package-cache-")) };
    for (const night of ["first night: compiles, as a run by hand does, and fills the cache", "a later night: from the compile cache"]) {
      const out = mkdtempSync(path.join(tmpdir(), "bench-package-out-"));
      const args = [...syncArguments(TENANT, APP, out, emulator.url), "--full"];
      const result = await run(launcher, args, {
        RETAIN_SYNC_CLIENT_SECRET: SECRET,
        NODE_OPTIONS: `--require ${path.join(__dirname, "report-rss.cjs")}`,
        ...jobCache,
      });
      if (result.code !== 0) throw new Error(`packaged sync exited ${String(result.code)}: ${result.stderr}`);
      const rssMiB = Number(/BENCH maxRssKiB=(\d+)/.exec(result.stderr)?.[1]) / 1024;
      console.log(
        `\npackaged sync of 100,000 users / 20,000 groups / 400,000 memberships, ${night}: ${(result.ms / 1000).toFixed(1)} s, peak RSS ${rssMiB.toFixed(0)} MiB = ${((rssMiB * 1048576) / 1e6).toFixed(0)} MB (target ≤ 150 MB)`,
      );
    }
  } finally {
    await emulator.close();
  }
}
