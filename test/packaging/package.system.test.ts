import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { packageFileNames, SERVER_PACKAGE, SYNC_RUNTIME, type PackagePlatform } from "../../core/server-package";
import { directoryRoutes } from "../../emulators/directory";
import { ewsRoute } from "../../emulators/ews";
import { syntheticTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { testTls } from "../../emulators/tls";
import { REPO_ROOT, runCliAsync, runProgramAsync, type CliResult } from "../support/cli";
import { deployedEwsTenant, EWS_TENANT } from "../support/ews-tenant";
import { builtPackage } from "../support/package-build";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "package-sync-secret-value";
const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** Every file and folder under `dir`, relative, with `/`. */
function listing(dir: string, prefix = ""): string[] {
  return readdirSync(dir).flatMap((name) => {
    const relative = `${prefix}${name}`;
    return statSync(path.join(dir, name)).isDirectory() ? [`${relative}/`, ...listing(path.join(dir, name), `${relative}/`)] : [relative];
  });
}

/** Runs a program with nothing of this machine's set-up: PATH=/usr/bin:/bin, no Node on it, the test CA trusted. */
const runBare = (command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runProgramAsync(command, args, { cwd: tmpdir(), env: { PATH: "/usr/bin:/bin", NODE_EXTRA_CA_CERTS: testTls().caFile, ...env } });

describe("npm run package: the Retain-server package", () => {
  let dist: string;
  const unpacked = mkdtempSync(path.join(tmpdir(), "retain-server-"));
  const root = path.join(unpacked, SERVER_PACKAGE.name);
  const launcher = path.join(root, SERVER_PACKAGE.linuxLauncher);
  const names = packageFileNames(VERSION);
  const archive = (platform: PackagePlatform) => path.join(dist, names.archive(platform));
  let emulator: GraphEmulator;

  before(async () => {
    // Built under the strictest umask (the archive's modes must not depend on who builds it), once for this file and wine.system.test.ts.
    dist = await builtPackage();
    execFileSync("tar", ["-xzf", archive("linux-x64"), "-C", unpacked]);
    const tenant = syntheticTenant(15, { users: 400, groups: 40, memberships: 900 });
    // Its Exchange too: Retain's app (APP) with EWS.AccessAsApp scoped to a group, for verify --access.
    const exchange = deployedEwsTenant();
    assert.deepEqual([EWS_TENANT.tenantId, EWS_TENANT.appId], [TENANT, APP]);
    emulator = await startGraphEmulator({
      token: "package-token",
      clients: { [APP]: SECRET },
      routes: [(request, e) => directoryRoutes(tenant)(request, e)],
      ews: ewsRoute(exchange),
    });
  });
  after(() => emulator?.close());

  it("writes both archives and a sha256sum file that checks them", () => {
    const sums = execFileSync("sha256sum", ["-c", names.checksums], { cwd: dist, encoding: "utf8" });
    assert.equal(sums, `${SERVER_PACKAGE.name}-${VERSION}-linux-x64.tar.gz: OK\n${SERVER_PACKAGE.name}-${VERSION}-win-x64.zip: OK\n`);
  });

  it("Linux: one folder with Node 22 or later, the bundle and the launcher; no node_modules, no TypeScript, no Pulumi", async () => {
    const files = listing(unpacked);
    assert.deepEqual(files.filter((file) => !file.endsWith("/")).sort(), [
      "retain-m365-sync/THIRD-PARTY-LICENSES.txt",
      "retain-m365-sync/VERSION",
      "retain-m365-sync/bin/retain-m365",
      "retain-m365-sync/lib/retain-m365-sync.cjs",
      "retain-m365-sync/node/LICENSE",
      "retain-m365-sync/node/bin/node",
    ]);
    assert.ok(files.every((file) => !file.includes("node_modules") && !file.endsWith(".ts")));
    // Readable by the job's own user (root unpacks it): folders and programs 0755, the rest 0644.
    const modes = execFileSync("tar", ["-tvzf", archive("linux-x64")], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/));
    for (const [mode, , , , , name] of modes) {
      const executable = name?.endsWith("/") || name?.endsWith("/bin/node") || name?.endsWith("/bin/retain-m365");
      assert.equal(mode, executable ? `${name?.endsWith("/") ? "d" : "-"}rwxr-xr-x` : "-rw-r--r--", name);
    }
    assert.doesNotMatch(readFileSync(path.join(root, SERVER_PACKAGE.bundle), "utf8"), /@pulumi|require\("tsx|typescript/);
    const node = await runBare(path.join(root, SERVER_PACKAGE.linuxNode), ["--version"]);
    assert.ok(Number(/^v(\d+)\./.exec(node.stdout)?.[1]) >= 22, node.stdout);
  });

  it("runs --help with only /usr/bin:/bin on PATH: the server's subcommands, not the repository's", async () => {
    const help = await runBare(launcher, ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    for (const subcommand of SERVER_PACKAGE.subcommands) assert.match(help.stdout, new RegExp(`^  ${subcommand} `, "m"));
    assert.doesNotMatch(help.stdout, /^ {2}(plan|adopt|stacks) /m);
    const unknown = await runBare(launcher, ["plan"]);
    assert.equal(unknown.code, 2);
  });

  it("syncs from the loopback Graph emulator into the same bytes as the repository's CLI", async () => {
    const sync = ["sync", "--tenant-id", TENANT, "--client-id", APP, "--graph-endpoint", emulator.url, "--authority-host", emulator.url];
    const fromPackage = mkdtempSync(path.join(tmpdir(), "retain-package-out-"));
    const fromRepository = mkdtempSync(path.join(tmpdir(), "retain-repository-out-"));
    const packaged = await runBare(launcher, [...sync, "--out", fromPackage], { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.equal(packaged.code, 0, packaged.stderr);
    assert.ok(!packaged.stdout.includes(SECRET) && !packaged.stderr.includes(SECRET));
    const repository = await runCliAsync([...sync, "--out", fromRepository], { env: { RETAIN_SYNC_CLIENT_SECRET: SECRET } });
    assert.equal(repository.code, 0, repository.stderr);
    for (const file of ["exchangeuser.csv", "exchangegroups.csv"])
      assert.ok(readFileSync(path.join(fromPackage, file)).equals(readFileSync(path.join(fromRepository, file))), file);
    const status = await runBare(launcher, ["status", "--out", fromPackage]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
  });

  it("verify --access from the package reaches EWS as Retain's app, and is refused outside the scope", async () => {
    const access = ["verify", "--access", "--tenant-id", TENANT, "--client-id", APP, "--ews-endpoint", emulator.url, "--authority-host", emulator.url];
    const run = await runBare(launcher, [...access, "--mailbox", EWS_TENANT.inside, "--outside", EWS_TENANT.outside], { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^✓ EWS for ${EWS_TENANT.inside} is reached as Retain's app[^]*^✓ EWS for ${EWS_TENANT.outside} \\(outside the scope\\) is refused`, "m"),
    );
  });

  it("schedule from the package starts the package's launcher", async () => {
    const result = await runBare(launcher, ["schedule", "--systemd", "--tenant-id", TENANT, "--client-id", APP]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^ExecStart=${launcher.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} sync --tenant-id ${TENANT} `, "m"));
    // A stack file: its schema and YAML parser, loaded only then, are in the bundle too.
    const fromStack = await runBare(launcher, [
      "schedule",
      "--systemd",
      "--stack",
      "example",
      "--stacks-dir",
      path.join(REPO_ROOT, "stacks"),
      "--client-id",
      APP,
    ]);
    assert.equal(fromStack.code, 0, fromStack.stderr);
    assert.match(fromStack.stdout, /^ExecStart=\S+ sync --tenant-id \S+ --client-id /m);
  });

  it("keeps Node's compile cache in the job's cache folder (systemd's CacheDirectory=), and starts without one it cannot use", async () => {
    // Killed after 20 s: Node 22 hangs at start on a compile-cache folder under /proc.
    const help = (env: NodeJS.ProcessEnv) =>
      promisify(execFile)(launcher, ["--help"], { cwd: tmpdir(), env: { PATH: "/usr/bin:/bin", ...env }, encoding: "utf8", timeout: 20_000 });
    const byHand = await help({});
    const cache = path.join(mkdtempSync(path.join(tmpdir(), "retain-cache-")), "retain-m365");
    assert.equal((await help({ CACHE_DIRECTORY: cache })).stdout, byHand.stdout);
    // Node's own layout: a folder per Node version and platform, a file per compiled script.
    const [version, ...others] = readdirSync(cache);
    assert.equal(others.length, 0);
    assert.ok(readdirSync(path.join(cache, version as string)).length > 0, "the bundle's compiled code is kept");
    assert.equal((await help({ CACHE_DIRECTORY: cache })).stdout, byHand.stdout, "a start from the cache");

    const file = path.join(mkdtempSync(path.join(tmpdir(), "retain-cache-")), "not-a-folder");
    writeFileSync(file, "");
    const unusable = [
      { CACHE_DIRECTORY: file },
      { CACHE_DIRECTORY: path.join(file, "cache") },
      { CACHE_DIRECTORY: "/proc/self/retain-m365" },
      { NODE_COMPILE_CACHE: "/proc/retain-m365" },
    ];
    for (const env of unusable) assert.equal((await help(env)).stdout, byHand.stdout, JSON.stringify(env));
    assert.equal(readFileSync(file, "utf8"), "", "the file in the folder's place is left as it was");
  });

  it("credential new from the package makes the key and certificate", async () => {
    const keys = path.join(mkdtempSync(path.join(tmpdir(), "retain-package-keys-")), "keys");
    const made = await runBare(launcher, ["credential", "new", "--out", keys, "--days", "30"]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^-----BEGIN CERTIFICATE-----$/m);
    assert.doesNotMatch(made.stdout + made.stderr, /PRIVATE KEY/);
    const [file, ...others] = readdirSync(keys);
    assert.equal(others.length, 0);
    const pem = readFileSync(path.join(keys, file as string), "utf8");
    assert.match(pem, /-----BEGIN PRIVATE KEY-----/);
    // A certificate Node's own X.509 parser reads, named after its SHA-1 thumbprint.
    const certificate = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? "");
    assert.equal(file, `retain-m365-${certificate.fingerprint.replace(/:/g, "")}.pem`);
    assert.equal(statSync(path.join(keys, file as string)).mode & 0o777, 0o600);
  });

  it("Windows: the zip holds node.exe, the bundle and retain-m365.cmd, no node_modules; the .cmd passes arguments and the exit code through", () => {
    const zip = archive("win-x64");
    const entries = execFileSync("unzip", ["-Z1", zip], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(entries.filter((entry) => !entry.endsWith("/")).sort(), [
      "retain-m365-sync/THIRD-PARTY-LICENSES.txt",
      "retain-m365-sync/VERSION",
      "retain-m365-sync/lib/retain-m365-sync.cjs",
      "retain-m365-sync/node/LICENSE",
      "retain-m365-sync/node/node.exe",
      "retain-m365-sync/retain-m365.cmd",
    ]);
    const cmd = execFileSync("unzip", ["-p", zip, "retain-m365-sync/retain-m365.cmd"], { encoding: "utf8" });
    const lines = cmd.split("\r\n");
    assert.equal(lines.at(-1), "", "CRLF line ends throughout");
    assert.ok(lines.slice(0, -1).every((line) => !line.includes("\n")));
    // %~dp0 is the .cmd's own folder, %* every argument as given; exit /b hands node's exit code back.
    assert.ok(lines.includes(`"%~dp0node\\node.exe" ${SYNC_RUNTIME.nodeOptions} "%~dp0lib\\retain-m365-sync.cjs" %*`), cmd);
    // Node's compile cache in the package's cache folder, unless set already; the variable stays in the .cmd (setlocal).
    assert.ok(lines.includes("setlocal") && lines.includes('if not defined NODE_COMPILE_CACHE set "NODE_COMPILE_CACHE=%~dp0cache"'), cmd);
    assert.equal(lines.at(-2), "exit /b %ERRORLEVEL%");
  });
});
