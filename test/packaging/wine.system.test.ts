import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { packageFileNames, SERVER_PACKAGE } from "../../core/server-package";
import { directoryRoutes } from "../../emulators/directory";
import { syntheticTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { testTls } from "../../emulators/tls";
import { REPO_ROOT, runCliAsync, type CliResult } from "../support/cli";
import { countingListener } from "../support/listener";
import { builtPackage } from "../support/package-build";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "wine-sync-secret-value";
const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const WINE_KEEPALIVE = path.join(REPO_ROOT, "test", "support", "wine-keepalive.cjs");

/** A file as Windows programs under Wine name it: a new prefix maps drive Z: to / (dosdevices/z: → /). */
const windowsPath = (file: string) => `Z:${file.replace(/\//g, "\\")}`;

/** Fails, naming the way to install it, where Wine is missing: CI's .ci/run installs it; the test is never skipped. */
function requireWine(): void {
  for (const program of ["wine", "wineserver"]) {
    try {
      execFileSync("sh", ["-c", 'command -v "$0"', program], { stdio: "ignore" });
    } catch {
      throw new Error(
        `${program} is not installed: the Windows package is tested under Wine. Run \`bash .ci/run\`, which installs Debian's wine and wine64, or \`apt-get install --no-install-recommends wine wine64\``,
      );
    }
  }
}

describe("the Windows package under Wine: node.exe, retain-m365.cmd and the CLI's commands", () => {
  const work = mkdtempSync(path.join(tmpdir(), "retain-wine-"));
  const root = path.join(work, "package", SERVER_PACKAGE.name);
  const launcher = windowsPath(path.join(root, SERVER_PACKAGE.windowsLauncher));
  // Node 22 refuses Windows before 8.1, and a new Wine 8 prefix says it is Windows 7. A new prefix
  // does not look for Wine Mono or Gecko to install: nothing here uses .NET or HTML.
  const wineEnvironment = {
    PATH: "/usr/bin:/bin",
    WINEPREFIX: path.join(work, "prefix"),
    WINEDEBUG: "-all",
    WINEDLLOVERRIDES: "mscoree,mshtml=",
    NODE_SKIP_PLATFORM_CHECK: "1",
    NODE_EXTRA_CA_CERTS: windowsPath(testTls().caFile),
  };
  let emulator: GraphEmulator;
  let runs = 0;

  /**
   * Runs a Windows program under Wine. Its output goes to files: through a pipe, Wine gives
   * node.exe standard handles Node cannot open (EBADF at the first console.log).
   */
  async function wine(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const dir = path.join(work, `run-${++runs}`);
    mkdirSync(dir);
    const files = { stdout: path.join(dir, "stdout"), stderr: path.join(dir, "stderr") };
    const [out, err] = [openSync(files.stdout, "w"), openSync(files.stderr, "w")];
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn("wine", args, { cwd: work, env: { ...wineEnvironment, ...env }, stdio: ["ignore", out, err] });
        child.on("error", reject);
        child.on("close", (status, signal) => resolve(status ?? (signal ? -1 : null)));
      });
      return { code, stdout: readFileSync(files.stdout, "utf8"), stderr: readFileSync(files.stderr, "utf8") };
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }
  /** The package's retain-m365.cmd, through Wine's cmd.exe, as Task Scheduler starts it. */
  const retain = (args: string[], env: NodeJS.ProcessEnv = {}) => wine(["cmd", "/c", launcher, ...args], env);

  before(async () => {
    requireWine();
    const dist = await builtPackage();
    execFileSync("unzip", ["-q", path.join(dist, packageFileNames(VERSION).archive("win-x64")), "-d", path.join(work, "package")]);
    const tenant = syntheticTenant(15, { users: 400, groups: 40, memberships: 900 });
    emulator = await startGraphEmulator({ token: "wine-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
  });

  after(async () => {
    await emulator?.close();
    // The prefix's wineserver outlives the last program by a few seconds: end it, and wait until it has.
    try {
      execFileSync("wineserver", ["-k"], { env: wineEnvironment, stdio: "ignore" });
      execFileSync("wineserver", ["-w"], { env: wineEnvironment, stdio: "ignore" });
    } catch {
      // No wineserver ran for this prefix (Wine missing, or already ended).
    }
    rmSync(work, { recursive: true, force: true });
  });

  it("node.exe starts in a new Wine prefix and is Node 22 or later", async (t) => {
    const started = Date.now();
    const node = await wine([windowsPath(path.join(root, SERVER_PACKAGE.windowsNode)), "--version"]);
    t.diagnostic(`a new Wine prefix and node.exe --version: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(node.code, 0, node.stderr);
    assert.ok(Number(/^v(\d+)\./.exec(node.stdout)?.[1]) >= 22, node.stdout);
  });

  it("--help through retain-m365.cmd: the server's subcommands; an unknown one exits 2 through the .cmd", async () => {
    const help = await retain(["--help"]);
    assert.equal(help.code, 0, help.stderr);
    for (const subcommand of SERVER_PACKAGE.subcommands) assert.match(help.stdout, new RegExp(`^  ${subcommand} `, "m"));
    assert.doesNotMatch(help.stdout, /^ {2}(plan|adopt|stacks) /m);
    assert.equal((await retain(["plan"])).code, 2);
  });

  it("keeps Node's compile cache in the package's cache folder, and starts without one it cannot use", async () => {
    await retain(["--help"]);
    const cache = path.join(root, "cache");
    const [version, ...others] = readdirSync(cache);
    assert.equal(others.length, 0);
    assert.ok(readdirSync(path.join(cache, version as string)).length > 0, "the bundle's compiled code is kept");
    const fromCache = await retain(["--help"]);
    assert.equal(fromCache.code, 0, fromCache.stderr);
    assert.match(fromCache.stdout, /^ {2}sync /m);
    const file = path.join(work, "not-a-folder");
    writeFileSync(file, "");
    const unusable = await retain(["--help"], { NODE_COMPILE_CACHE: windowsPath(file) });
    assert.equal(unusable.stdout, fromCache.stdout, unusable.stderr);
    assert.equal(readFileSync(file, "utf8"), "", "the file in the folder's place is left as it was");
  });

  it("schedule --windows: the task starts the package's own retain-m365.cmd, as Windows names it; the rest as the repository's CLI writes it on Linux", async () => {
    const args = ["schedule", "--windows", "--tenant-id", TENANT, "--client-id", APP, "--out", "D:\\Retain\\cfg"];
    const fromWine = await retain(args);
    assert.equal(fromWine.code, 0, fromWine.stderr);
    assert.ok(fromWine.stdout.includes(`<Command>${launcher}</Command>`), fromWine.stdout);
    const onLinux = await runCliAsync([...args, "--launcher", launcher]);
    assert.equal(onLinux.code, 0, onLinux.stderr);
    assert.equal(fromWine.stdout, onLinux.stdout);
  });

  it("credential new writes the key and certificate into a Windows folder, named after the printed certificate's thumbprint", async () => {
    const keys = path.join(work, "keys");
    const made = await retain(["credential", "new", "--out", windowsPath(keys), "--days", "30"]);
    assert.equal(made.code, 0, made.stderr);
    assert.doesNotMatch(made.stdout + made.stderr, /PRIVATE KEY/);
    const printed = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(made.stdout)?.[0];
    assert.ok(printed, made.stdout);
    const certificate = new X509Certificate(printed);
    const file = `retain-m365-${certificate.fingerprint.replace(/:/g, "").toUpperCase()}.pem`;
    assert.deepEqual(readdirSync(keys), [file]);
    const pem = readFileSync(path.join(keys, file), "utf8");
    assert.match(pem, /-----BEGIN PRIVATE KEY-----/);
    assert.ok(pem.includes(printed), "the file holds the certificate printed");
  });

  // Wine 8.0 lacks the Winsock option TCP_KEEPALIVE, which Node's fetch sets on a socket before it
  // connects (docs/windows.md). The probe tells whether this Wine has that limit; only then does the
  // sync below run with test/support/wine-keepalive.cjs preloaded, which sets keep-alive once connected.
  let wineLacksKeepAlive: boolean | undefined;

  it("Wine's limit, not the package's: keep-alive set before a socket connects fails the connect only where Wine lacks TCP_KEEPALIVE", async (t) => {
    const listener = await countingListener();
    try {
      const probe = path.join(work, "keepalive-probe.js");
      writeFileSync(
        probe,
        `const socket = require("node:net").connect(${listener.port}, "127.0.0.1");
socket.setKeepAlive(true, 60000); // as undici's connector does, right after connect()
socket.on("connect", () => { console.log("connected"); socket.destroy(); });
socket.on("error", (error) => console.log(\`\${error.syscall} \${error.code}\`));
`,
      );
      const run = await wine([windowsPath(path.join(root, SERVER_PACKAGE.windowsNode)), windowsPath(probe)]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(["connected\n", "connect UNKNOWN\n"].includes(run.stdout), run.stdout);
      wineLacksKeepAlive = run.stdout !== "connected\n";
      assert.equal(listener.connections(), wineLacksKeepAlive ? 0 : 1);
      t.diagnostic(
        wineLacksKeepAlive
          ? "this Wine lacks TCP_KEEPALIVE: the sync runs with test/support/wine-keepalive.cjs"
          : "this Wine has TCP_KEEPALIVE: the sync runs as it is",
      );
    } finally {
      await listener.close();
    }
  });

  it("sync from the loopback Graph emulator writes the same bytes as the repository's CLI on Linux, and status reads its run", async () => {
    assert.notEqual(wineLacksKeepAlive, undefined, "the probe above ran");
    const sync = ["sync", "--tenant-id", TENANT, "--client-id", APP, "--graph-endpoint", emulator.url, "--authority-host", emulator.url];
    const [fromWine, onLinux] = [path.join(work, "out-wine"), path.join(work, "out-linux")];
    const preload = wineLacksKeepAlive ? { NODE_OPTIONS: `--require ${windowsPath(WINE_KEEPALIVE)}` } : {};
    const synced = await retain([...sync, "--out", windowsPath(fromWine)], { RETAIN_SYNC_CLIENT_SECRET: SECRET, ...preload });
    assert.equal(synced.code, 0, synced.stdout + synced.stderr);
    const counts = /^synced (\d+) users and (\d+) groups \(\d+ memberships\) into (\S+) /m.exec(synced.stdout);
    assert.equal(counts?.[3], windowsPath(fromWine), synced.stdout);
    assert.ok(!synced.stdout.includes(SECRET) && !synced.stderr.includes(SECRET));
    const repository = await runCliAsync([...sync, "--out", onLinux], { env: { RETAIN_SYNC_CLIENT_SECRET: SECRET } });
    assert.equal(repository.code, 0, repository.stderr);
    for (const file of ["exchangeuser.csv", "exchangegroups.csv"])
      assert.ok(readFileSync(path.join(fromWine, file)).equals(readFileSync(path.join(onLinux, file))), file);
    const status = await retain(["status", "--out", windowsPath(fromWine)]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, new RegExp(`^healthy: the last run succeeded at \\S+ \\(${counts?.[1]} users, ${counts?.[2]} groups\\)$`, "m"));
  });
});
