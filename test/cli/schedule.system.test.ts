import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT } from "../support/cli";
import { runMain } from "../support/contract";
import { SYNC_RUNTIME } from "../../core/server-package";
import { directoryRoutes } from "../../emulators/directory";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { testTls } from "../../emulators/tls";
import { oneUserTenant } from "../support/one-user-tenant";

// The units `schedule --systemd` writes, held to systemd-analyze, and the job they start, run as
// systemd would run it: the launcher, a process of its own. schedule.test.ts tests the rest in-process.

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "scheduled-secret-value";
const ids = ["--tenant-id", TENANT, "--client-id", APP];
/** A launcher outside /root and /home (where this checkout may live), as the Retain-server package's is. */
const LAUNCHER = path.join(mkdtempSync(path.join(tmpdir(), "retain-package-")), "retain-m365");
writeFileSync(LAUNCHER, `#!/bin/sh\nexec '${process.execPath}' '${path.join(REPO_ROOT, "bin", "retain-m365.js")}' "$@"\n`, { mode: 0o755 });
const launcher = ["--launcher", LAUNCHER];

/** The unit's Environment= assignments (this generator writes one line of NAME=value words without spaces). */
const unitEnvironment = (unit: string) =>
  Object.fromEntries(
    (/^Environment=(.*)$/m.exec(unit)?.[1] ?? "")
      .split(" ")
      .map((assignment) => [assignment.slice(0, assignment.indexOf("=")), assignment.slice(assignment.indexOf("=") + 1)]),
  );

/** Splits an ExecStart= line as systemd does for what this generator writes: words, double quotes, backslash escapes. */
function execStartWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] as string));
  }
  return words;
}

describe("schedule --systemd", () => {
  const unitDir = mkdtempSync(path.join(tmpdir(), "retain-units-"));
  const out = path.join(mkdtempSync(path.join(tmpdir(), "retain cfg ")), "100% cfg");
  let service: string;
  let timer: string;

  before(async () => {
    const result = await runMain(["schedule", "--systemd", ...launcher, ...ids, "--out", out, "--at", "03:15", "--write-to", unitDir]);
    assert.equal(result.code, 0, result.stderr);
    service = readFileSync(path.join(unitDir, "retain-m365-sync.service"), "utf8");
    timer = readFileSync(path.join(unitDir, "retain-m365-sync.timer"), "utf8");
  });

  it("writes a service and a timer that systemd-analyze verify accepts without a single remark", async () => {
    const verify = await promisify(execFile)(
      "systemd-analyze",
      ["verify", path.join(unitDir, "retain-m365-sync.service"), path.join(unitDir, "retain-m365-sync.timer")],
      { encoding: "utf8" },
    );
    assert.equal(verify.stdout + verify.stderr, "");
  });

  it("runs nightly at the given time with a random delay, catching up after downtime", () => {
    assert.match(timer, /^OnCalendar=\*-\*-\* 03:15:00$/m);
    assert.match(timer, /^RandomizedDelaySec=30min$/m);
    assert.match(timer, /^Persistent=true$/m);
    assert.match(timer, /^Unit=retain-m365-sync\.service$/m);
  });

  it("is hardened: its own user, a read-only system, writes only to the output folder, secret from a credential file", () => {
    assert.match(service, /^User=retain-m365$/m);
    for (const directive of [
      "SystemCallFilter=@system-service",
      // A call outside the set fails instead of killing Node, which falls back (libuv's io_uring, V8's memory protection keys).
      "SystemCallErrorNumber=EPERM",
      "SystemCallArchitectures=native",
      "ProtectProc=invisible",
      "ProcSubset=pid",
      "ProtectHostname=yes",
      "RemoveIPC=yes",
      "PrivateMounts=yes",
      "LimitCORE=0",
    ]) {
      assert.ok(service.split("\n").includes(directive), `the unit has ${directive}`);
    }
    assert.match(service, /^ProtectSystem=strict$/m);
    assert.match(service, /^NoNewPrivileges=yes$/m);
    assert.match(service, /^ReadWritePaths="[^"]*100%% cfg"$/m);
    assert.match(service, /^LoadCredential=client-secret:\/etc\/retain-m365\/client-secret$/m);
    assert.match(service, /--client-secret-file %d\/client-secret$/m);
    assert.ok(!service.includes(SECRET));
  });

  it("gives the job the sync's memory settings, as the package's launcher does", () => {
    assert.deepEqual(unitEnvironment(service), { NODE_OPTIONS: SYNC_RUNTIME.nodeOptions, ...SYNC_RUNTIME.glibcEnvironment });
  });

  describe("the generated command, run as systemd would run it", () => {
    let emulator: GraphEmulator;
    /** The certificates registered on Retain's app (read by the emulator at each request). */
    const registered: string[] = [];
    before(async () => {
      const tenant = oneUserTenant();
      emulator = await startGraphEmulator({
        token: "t",
        clients: { [APP]: SECRET },
        certificates: { [APP]: registered },
        routes: [(request, e) => directoryRoutes(tenant)(request, e)],
      });
    });
    after(() => emulator.close());

    it("signs in with the secret from the credentials directory and writes the CSVs", async () => {
      const credentials = mkdtempSync(path.join(tmpdir(), "retain-credentials-"));
      writeFileSync(path.join(credentials, "client-secret"), `${SECRET}\n`, { mode: 0o400 });
      const line = /^ExecStart=(.*)$/m.exec(service)?.[1] ?? "";
      const [command, ...args] = execStartWords(line).map((word) => word.replace(/%d/g, credentials).replace(/%%/g, "%"));
      const run = await promisify(execFile)(command as string, [...args, "--graph-endpoint", emulator.url, "--authority-host", emulator.url], {
        env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: testTls().caFile, ...unitEnvironment(service) },
        encoding: "utf8",
      });
      assert.match(run.stdout, /^synced 1 users and 0 groups/);
      assert.match(readFileSync(path.join(out, "exchangeuser.csv"), "utf8"), /"ann@contoso.com"/);
    });

    it("gives the job a cache folder (CacheDirectory=) where its Node keeps what it compiled; a folder under /proc, where Node would hang, is not used", async () => {
      assert.match(service, /^CacheDirectory=retain-m365$/m);
      const credentials = mkdtempSync(path.join(tmpdir(), "retain-credentials-"));
      writeFileSync(path.join(credentials, "client-secret"), `${SECRET}\n`, { mode: 0o400 });
      const [command, ...args] = execStartWords(/^ExecStart=(.*)$/m.exec(service)?.[1] ?? "").map((word) =>
        word.replace(/%d/g, credentials).replace(/%%/g, "%"),
      );
      // systemd makes /var/cache/retain-m365 for the job's user and names it in CACHE_DIRECTORY.
      const night = (cache: string) =>
        promisify(execFile)(command as string, [...args, "--graph-endpoint", emulator.url, "--authority-host", emulator.url], {
          env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: testTls().caFile, ...unitEnvironment(service), CACHE_DIRECTORY: cache },
          encoding: "utf8",
          timeout: 60_000,
        });
      const cache = mkdtempSync(path.join(tmpdir(), "retain-cache-"));
      assert.match((await night(cache)).stdout, /^synced 1 users and 0 groups/);
      const [version, ...others] = readdirSync(cache);
      assert.equal(others.length, 0);
      assert.ok(readdirSync(path.join(cache, version as string)).length > 0, "Node's compiled code is kept");
      assert.match((await night("/proc/self/retain-m365")).stdout, /^synced 1 users and 0 groups/);
    });

    it("with --certificate <folder>, signs in with the folder's certificates as systemd loads them (app.pem_<file>), a rotation's new file included", async () => {
      // `credential new --out <folder>`, as README has the Retain server do, then the nightly job for that folder.
      const folder = mkdtempSync(path.join(tmpdir(), "retain-certificates-"));
      const made = await runMain(["credential", "new", "--out", folder]);
      assert.equal(made.code, 0, made.stderr);
      registered.splice(0, registered.length, made.stdout);
      const units = mkdtempSync(path.join(tmpdir(), "retain-units-"));
      const certOut = mkdtempSync(path.join(tmpdir(), "retain-cfg-"));
      const scheduled = await runMain(["schedule", "--systemd", ...launcher, ...ids, "--out", certOut, "--certificate", folder, "--write-to", units]);
      assert.equal(scheduled.code, 0, scheduled.stderr);
      const unit = readFileSync(path.join(units, "retain-m365-sync.service"), "utf8");
      const verify = await promisify(execFile)(
        "systemd-analyze",
        ["verify", path.join(units, "retain-m365-sync.service"), path.join(units, "retain-m365-sync.timer")],
        { encoding: "utf8" },
      );
      assert.equal(verify.stdout + verify.stderr, "");
      const [id, source] = (/^LoadCredential=([^:]+):(.*)$/m.exec(unit) ?? []).slice(1);
      assert.equal(source, folder);

      // What systemd.exec(5) does with a folder: every file loaded as the credential <id>_<file>, mode 0400.
      const runNight = async () => {
        const credentials = mkdtempSync(path.join(tmpdir(), "retain-credentials-"));
        for (const file of readdirSync(folder)) copyFileSync(path.join(folder, file), path.join(credentials, `${id}_${file}`));
        for (const file of readdirSync(credentials)) chmodSync(path.join(credentials, file), 0o400);
        const line = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? "";
        const [command, ...args] = execStartWords(line).map((word) => word.replace(/%d/g, credentials).replace(/%%/g, "%"));
        return promisify(execFile)(command as string, [...args, "--graph-endpoint", emulator.url, "--authority-host", emulator.url], {
          env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: testTls().caFile, ...unitEnvironment(unit) },
          encoding: "utf8",
        });
      };
      assert.match((await runNight()).stdout, /^synced 1 users and 0 groups/);

      // A rotation: the new certificate is registered and the old one removed; the same unit loads the new file.
      const rotated = await runMain(["credential", "new", "--out", folder]);
      assert.equal(rotated.code, 0, rotated.stderr);
      registered.splice(0, registered.length, rotated.stdout);
      assert.match((await runNight()).stdout, /^synced 1 users and 0 groups/);
      assert.match(readFileSync(path.join(certOut, "exchangeuser.csv"), "utf8"), /"ann@contoso.com"/);
    });
  });
});

describe("schedule --systemd: monitoring (--metrics-file, --on-failure)", () => {
  const unitDir = mkdtempSync(path.join(tmpdir(), "retain-units-"));
  const textfileDir = path.join(mkdtempSync(path.join(tmpdir(), "retain-node-exporter-")), "textfile 1");
  const metrics = path.join(textfileDir, "retain-m365.prom");
  let service: string;

  before(async () => {
    const result = await runMain([
      "schedule",
      "--systemd",
      ...launcher,
      ...ids,
      "--out",
      "/srv/retain/cfg",
      "--metrics-file",
      metrics,
      "--on-failure",
      "notify-failure@%n.service",
      "--write-to",
      unitDir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    service = readFileSync(path.join(unitDir, "retain-m365-sync.service"), "utf8");
  });

  it("passes --metrics-file to the sync, lets the service write that folder, and starts the OnFailure= unit", async () => {
    assert.match(service, /^OnFailure=notify-failure@%n\.service$/m);
    assert.match(service, /^ReadWritePaths=\/srv\/retain\/cfg$/m);
    assert.equal(/^ReadWritePaths="(.*)"$/m.exec(service)?.[1], textfileDir);
    const line = /^ExecStart=(.*)$/m.exec(service)?.[1] ?? "";
    const words = execStartWords(line);
    assert.equal(words[words.indexOf("--metrics-file") + 1], metrics);
    const verify = await promisify(execFile)(
      "systemd-analyze",
      ["verify", path.join(unitDir, "retain-m365-sync.service"), path.join(unitDir, "retain-m365-sync.timer")],
      { encoding: "utf8" },
    );
    assert.equal(verify.stdout + verify.stderr, "");
  });

  it("adds nothing without the flags; refuses a relative metrics path, a unit list, and --on-failure for Windows (exit 2)", async () => {
    const plain = await runMain(["schedule", "--systemd", ...launcher, ...ids, "--out", "/srv/retain/cfg"]);
    assert.ok(!plain.stdout.includes("OnFailure=") && !plain.stdout.includes("--metrics-file"));
    assert.equal(plain.stdout.match(/^ReadWritePaths=/gm)?.length, 1);
    for (const bad of [
      ["--systemd", "--metrics-file", "retain.prom"],
      ["--systemd", "--on-failure", "a.service b.service"],
      ["--windows", "--on-failure", "a.service"],
    ]) {
      assert.equal((await runMain(["schedule", ...bad, ...ids])).code, 2, bad.join(" "));
    }
    const windows = await runMain(["schedule", "--windows", ...ids, "--metrics-file", "C:\\metrics\\retain-m365.prom"]);
    const help = (await runMain(["schedule", "--help"])).stdout;
    assert.ok(help.includes("--metrics-file") && help.includes("--on-failure"));
    assert.match(windows.stdout, / --metrics-file C:\\metrics\\retain-m365\.prom<\/Arguments>/);
  });
});
