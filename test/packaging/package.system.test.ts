import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { build } from "esbuild";
import { packageFileNames, SERVER_PACKAGE, SYNC_RUNTIME, type PackagePlatform } from "../../core/server-package";
import { directoryRoutes } from "../../emulators/directory";
import { ewsRoute } from "../../emulators/ews";
import { syntheticTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { testTls } from "../../emulators/tls";
import { REPO_ROOT, runCliAsync, runProgramAsync, type CliResult } from "../support/cli";
import { deployedEwsTenant, EWS_TENANT } from "../support/ews-tenant";
import { builtPackage } from "../support/package-build";
import { loopbackSync } from "../support/sync-arguments";

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
      "retain-m365-sync/LICENSE",
      "retain-m365-sync/NOTICE",
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
      "retain-m365-sync/LICENSE",
      "retain-m365-sync/NOTICE",
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

  it("--version prints the version its VERSION file and archive names carry; the package carries the project's Apache-2.0 licence", async () => {
    const printed = await runBare(launcher, ["--version"]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout, `${VERSION}\n`);
    assert.match(readFileSync(path.join(root, "VERSION"), "utf8"), new RegExp(`^${SERVER_PACKAGE.name} ${VERSION.replace(/\./g, "\\.")} for linux-x64,`));
    assert.ok(readdirSync(dist).includes(names.archive("linux-x64")));
    assert.equal((await runBare(launcher, ["-V"])).stdout, printed.stdout);
    assert.equal(readFileSync(path.join(root, "LICENSE"), "utf8"), readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8"));
    assert.match(readFileSync(path.join(root, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
  });

  it("THIRD-PARTY-LICENSES.txt holds every npm package inside the bundle, at the version bundled, with that package's own licence text", async () => {
    // The bundle's inputs, asked of esbuild again here: each npm package is the folder of the nearest package.json with a name.
    const { metafile } = await build({
      entryPoints: [path.join(REPO_ROOT, "cli", "server-main.ts")],
      absWorkingDir: REPO_ROOT,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    // Each npm package is the folder named after it right below a node_modules folder (its dist/ may hold package.json files of its own).
    const bundled = new Map<string, string>();
    for (const input of Object.keys(metafile.inputs)) {
      const packageDir = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
      if (!packageDir) continue;
      const dir = path.join(REPO_ROOT, packageDir);
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name: string; version: string };
      bundled.set(`${manifest.name}@${manifest.version}`, dir);
    }
    assert.ok(bundled.size > 10, "the bundle holds the npm packages the sync needs");
    const text = readFileSync(path.join(root, "THIRD-PARTY-LICENSES.txt"), "utf8");
    const headings = [...text.matchAll(/^(\S+@\S+)\n-+\n/gm)].map((match) => match[1] as string);
    assert.deepEqual([...headings].sort(), [...bundled.keys()].sort());
    for (const [heading, dir] of bundled) {
      const licence = readdirSync(dir).find((name) => /^licen[cs]e\b/i.test(name));
      assert.ok(licence, `${heading} ships a licence file`);
      const licenceText = readFileSync(path.join(dir, licence), "utf8").trim();
      assert.ok(text.includes(`${heading}\n${"-".repeat(heading.length)}\n${licenceText}\n`), `${heading}'s licence text`);
    }
  });

  it("an upgrade keeps the delta state: a newer package's sync on the same folder reads only the changes", async () => {
    const newer = "0.1.1-upgrade.1";
    const newerDist = mkdtempSync(path.join(tmpdir(), "retain-package-newer-"));
    await promisify(execFile)("npm", ["run", "--silent", "package", "--", "--out", newerDist, "--version", newer], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const newerRoot = mkdtempSync(path.join(tmpdir(), "retain-server-newer-"));
    execFileSync("tar", ["-xzf", path.join(newerDist, packageFileNames(newer).archive("linux-x64")), "-C", newerRoot]);
    const newerLauncher = path.join(newerRoot, SERVER_PACKAGE.name, SERVER_PACKAGE.linuxLauncher);
    assert.equal((await runBare(newerLauncher, ["--version"])).stdout, `${newer}\n`);

    const out = mkdtempSync(path.join(tmpdir(), "retain-upgrade-out-"));
    const sync = loopbackSync(TENANT, APP, out, emulator.url);
    const before = await runBare(launcher, sync, { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.equal(before.code, 0, before.stderr);
    assert.equal((JSON.parse(before.stdout) as { mode: string }).mode, "full");
    const files = ["exchangeuser.csv", "exchangegroups.csv"].map((file) => readFileSync(path.join(out, file)));
    const after = await runBare(newerLauncher, sync, { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.equal(after.code, 0, after.stderr);
    assert.equal((JSON.parse(after.stdout) as { mode: string }).mode, "delta", "the newer package continues from the older one's delta state");
    ["exchangeuser.csv", "exchangegroups.csv"].forEach((file, i) => assert.ok(readFileSync(path.join(out, file)).equals(files[i] as Buffer), file));
    const status = await runBare(newerLauncher, ["status", "--out", out]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
  });
});
