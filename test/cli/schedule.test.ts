import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { stringify } from "yaml";
import { REPO_ROOT, runCli } from "../support/cli";
import { validRawValues } from "../support/configs";
import { packageInstallation, REPOSITORY_INSTALLATION } from "../../cli/installation";
import { jobCommand } from "../../cli/job-command";
import { SYNC_RUNTIME } from "../../core/server-package";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { testTls } from "../../emulators/tls";

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
  Object.fromEntries((/^Environment=(.*)$/m.exec(unit)?.[1] ?? "").split(" ").map((assignment) => [assignment.slice(0, assignment.indexOf("=")), assignment.slice(assignment.indexOf("=") + 1)]));

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

  before(() => {
    const result = runCli(["schedule", "--systemd", ...launcher, ...ids, "--out", out, "--at", "03:15", "--write-to", unitDir]);
    assert.equal(result.code, 0, result.stderr);
    service = readFileSync(path.join(unitDir, "retain-m365-sync.service"), "utf8");
    timer = readFileSync(path.join(unitDir, "retain-m365-sync.timer"), "utf8");
  });

  it("writes a service and a timer that systemd-analyze verify accepts without a single remark", async () => {
    const verify = await promisify(execFile)("systemd-analyze", ["verify", path.join(unitDir, "retain-m365-sync.service"), path.join(unitDir, "retain-m365-sync.timer")], { encoding: "utf8" });
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
      const tenant = directoryTenant({
        users: [{ id: "u-1", displayName: "Ann", mail: "ann@contoso.com", mailNickname: "ann", userPrincipalName: "ann@contoso.com", proxyAddresses: ["SMTP:ann@contoso.com"], userType: "Member", accountEnabled: true }],
      });
      emulator = await startGraphEmulator({ token: "t", clients: { [APP]: SECRET }, certificates: { [APP]: registered }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
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
      const [command, ...args] = execStartWords(/^ExecStart=(.*)$/m.exec(service)?.[1] ?? "").map((word) => word.replace(/%d/g, credentials).replace(/%%/g, "%"));
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
      const made = runCli(["credential", "new", "--out", folder]);
      assert.equal(made.code, 0, made.stderr);
      registered.splice(0, registered.length, made.stdout);
      const units = mkdtempSync(path.join(tmpdir(), "retain-units-"));
      const certOut = mkdtempSync(path.join(tmpdir(), "retain-cfg-"));
      const scheduled = runCli(["schedule", "--systemd", ...launcher, ...ids, "--out", certOut, "--certificate", folder, "--write-to", units]);
      assert.equal(scheduled.code, 0, scheduled.stderr);
      const unit = readFileSync(path.join(units, "retain-m365-sync.service"), "utf8");
      const verify = await promisify(execFile)("systemd-analyze", ["verify", path.join(units, "retain-m365-sync.service"), path.join(units, "retain-m365-sync.timer")], { encoding: "utf8" });
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
      const rotated = runCli(["credential", "new", "--out", folder]);
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

  before(() => {
    const result = runCli(["schedule", "--systemd", ...launcher, ...ids, "--out", "/srv/retain/cfg", "--metrics-file", metrics, "--on-failure", "notify-failure@%n.service", "--write-to", unitDir]);
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
    const verify = await promisify(execFile)("systemd-analyze", ["verify", path.join(unitDir, "retain-m365-sync.service"), path.join(unitDir, "retain-m365-sync.timer")], { encoding: "utf8" });
    assert.equal(verify.stdout + verify.stderr, "");
  });

  it("adds nothing without the flags; refuses a relative metrics path, a unit list, and --on-failure for Windows (exit 2)", () => {
    const plain = runCli(["schedule", "--systemd", ...launcher, ...ids, "--out", "/srv/retain/cfg"]);
    assert.ok(!plain.stdout.includes("OnFailure=") && !plain.stdout.includes("--metrics-file"));
    assert.equal(plain.stdout.match(/^ReadWritePaths=/gm)?.length, 1);
    for (const bad of [["--systemd", "--metrics-file", "retain.prom"], ["--systemd", "--on-failure", "a.service b.service"], ["--windows", "--on-failure", "a.service"]]) {
      assert.equal(runCli(["schedule", ...bad, ...ids]).code, 2, bad.join(" "));
    }
    const windows = runCli(["schedule", "--windows", ...ids, "--metrics-file", "C:\\metrics\\retain-m365.prom"]);
    const help = runCli(["schedule", "--help"]).stdout;
    assert.ok(help.includes("--metrics-file") && help.includes("--on-failure"));
    assert.match(windows.stdout, / --metrics-file C:\\metrics\\retain-m365\.prom<\/Arguments>/);
  });
});

describe("schedule --windows", () => {
  it("prints well-formed Task Scheduler XML with the sync command and a daily trigger", () => {
    const result = runCli(["schedule", "--windows", ...ids, "--at", "01:05", "--random-delay", "45"]);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout.replace(/^# ---- retain-m365-sync\.xml ----\n/, "");
    assert.equal(XMLValidator.validate(text), true);
    const task = (new XMLParser().parse(text) as { Task: Record<string, Record<string, unknown>> }).Task;
    const trigger = (task.Triggers as { CalendarTrigger: Record<string, unknown> }).CalendarTrigger;
    assert.equal(trigger.StartBoundary, "2026-01-01T01:05:00");
    assert.equal(trigger.RandomDelay, "PT45M");
    assert.deepEqual(trigger.ScheduleByDay, { DaysInterval: 1 });
    const exec = (task.Actions as { Exec: { Command: string; Arguments: string } }).Exec;
    assert.equal(exec.Command, "C:\\Program Files\\retain-m365-sync\\retain-m365.cmd");
    assert.equal(
      exec.Arguments,
      `sync --tenant-id ${TENANT} --client-id ${APP} --authority-host https://login.microsoftonline.com --out "C:\\Program Files\\Beginfinite\\Retain\\RetainServer\\WEB-INF\\cfg" --client-secret-file C:\\ProgramData\\retain-m365\\client-secret`,
    );
    assert.equal((task.Settings as Record<string, unknown>).MultipleInstancesPolicy, "IgnoreNew");
    assert.deepEqual(task.Principals, { Principal: { UserId: "retain-m365", LogonType: "Password", RunLevel: "LeastPrivilege" } }, "its own account, which runs whether or not anyone is logged on");
  });

  it("runs as a gMSA when asked to", () => {
    const result = runCli(["schedule", "--windows", ...ids, "--user", "CONTOSO\\retain-m365$"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /<UserId>CONTOSO\\retain-m365\$<\/UserId>\s*<LogonType>Password<\/LogonType>/);
  });
});

describe("schedule: the job never runs as an account the whole system shares", () => {
  for (const [flag, user] of [
    ["--windows", "S-1-5-20"],
    ["--windows", "NT AUTHORITY\\NETWORK SERVICE"],
    ["--windows", "SYSTEM"],
    ["--windows", "S-1-5-19"],
    ["--systemd", "root"],
    ["--systemd", "0"],
    ["--systemd", "nobody"],
  ] as const) {
    it(`refuses ${flag} --user ${user} with exit 2`, () => {
      const result = runCli(["schedule", flag, ...ids, "--user", user]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^retain-m365: --user .* is an account the whole system shares: run the job as an account of its own/);
    });
  }
});

describe("schedule --stack: the output folder is the stack's directorySync.outputDir unless --out is given", () => {
  const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-stacks-"));
  const stackWithOutput = (name: string, outputDir: string) =>
    writeFileSync(path.join(stacksDir, `Pulumi.${name}.yaml`), stringify({ config: { ...validRawValues(), "azuread:tenantId": TENANT, "retain-m365:directorySync": { outputDir } } }));
  const taskArguments = (stdout: string) =>
    (new XMLParser().parse(stdout.replace(/^# ---- retain-m365-sync\.xml ----\n/, "")) as { Task: { Actions: { Exec: { Arguments: string } } } }).Task.Actions.Exec.Arguments;

  it("--windows puts the stack's folder into the Task Scheduler XML; --out overrides it", () => {
    stackWithOutput("windows", "D:\\Retain\\RetainServer\\WEB-INF\\cfg");
    const fromStack = runCli(["schedule", "--windows", "--stack", "windows", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(fromStack.code, 0, fromStack.stderr);
    assert.equal(
      taskArguments(fromStack.stdout),
      `sync --tenant-id ${TENANT} --client-id ${APP} --authority-host https://login.microsoftonline.com --out D:\\Retain\\RetainServer\\WEB-INF\\cfg --client-secret-file C:\\ProgramData\\retain-m365\\client-secret`,
    );
    const overridden = runCli(["schedule", "--windows", "--stack", "windows", "--stacks-dir", stacksDir, "--client-id", APP, "--out", "E:\\cfg"]);
    assert.equal(overridden.code, 0, overridden.stderr);
    assert.match(taskArguments(overridden.stdout), / --out E:\\cfg /);
  });

  it("--systemd writes into the stack's folder", () => {
    stackWithOutput("linux", "/srv/retain/cfg");
    const result = runCli(["schedule", "--systemd", ...launcher, "--stack", "linux", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ReadWritePaths=\/srv\/retain\/cfg$/m);
    assert.match(result.stdout, / --out \/srv\/retain\/cfg /);
  });

  it("passes the stack's backups and shrink limit to the nightly sync, fractions included", () => {
    writeFileSync(
      path.join(stacksDir, "Pulumi.guarded.yaml"),
      stringify({ config: { ...validRawValues(), "azuread:tenantId": TENANT, "retain-m365:directorySync": { outputDir: "/srv/retain/cfg", backups: 30, maxShrinkPercent: 12.5 } } }),
    );
    const result = runCli(["schedule", "--systemd", ...launcher, "--stack", "guarded", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, / --out \/srv\/retain\/cfg --backups 30 --max-shrink-percent 12\.5 /);
  });

  it("refuses a stack folder of the other system (exit 2), which the job could not write to", () => {
    stackWithOutput("linux-only", "/srv/retain/cfg");
    const result = runCli(["schedule", "--windows", "--stack", "linux-only", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "retain-m365: --stack linux-only: its directorySync.outputDir /srv/retain/cfg is not a Windows folder; set one there or give --out <dir>\n");
  });
});

describe("schedule --stack: the client secret's end date from the stack output applicationSecretExpires", () => {
  const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-stacks-"));
  writeFileSync(path.join(stacksDir, "Pulumi.dated.yaml"), stringify({ config: { ...validRawValues(), "azuread:tenantId": TENANT, "retain-m365:directorySync": { outputDir: "/srv/retain/cfg" } } }));
  /** A `pulumi` on PATH that answers `stack output --json` with these outputs. */
  const withOutputs = (outputs: Record<string, unknown>) => {
    const bin = mkdtempSync(path.join(tmpdir(), "retain-pulumi-"));
    writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho '${JSON.stringify({ applicationClientId: APP, ...outputs })}'\n`, { mode: 0o755 });
    return { PATH: `${bin}:${process.env.PATH}` };
  };
  const schedule = (outputs: Record<string, unknown>, ...extra: string[]) => {
    const result = runCli(["schedule", "--systemd", ...launcher, "--stack", "dated", "--stacks-dir", stacksDir, ...extra], { env: withOutputs(outputs) });
    assert.equal(result.code, 0, result.stderr);
    return /^ExecStart=(.*)$/m.exec(result.stdout)?.[1] ?? "";
  };

  it("fills --secret-expires into the nightly job when the stack has the output", () => {
    assert.match(schedule({ applicationSecretExpires: "2027-05-31T04:00:00Z" }), / --out \/srv\/retain\/cfg --secret-expires 2027-05-31T04:00:00Z --client-secret-file %d\/client-secret$/);
  });

  it("writes no --secret-expires without the output, or when the job signs in with a certificate", () => {
    assert.doesNotMatch(schedule({}), /--secret-expires/);
    assert.doesNotMatch(schedule({ applicationSecretExpires: "2027-05-31T04:00:00Z" }, "--certificate", "/etc/retain-m365/app.pem"), /--secret-expires/);
  });

  it("takes --secret-expires over the output, and refuses a value that is not an ISO date (exit 2)", () => {
    assert.match(schedule({ applicationSecretExpires: "2027-05-31T04:00:00Z" }, "--secret-expires", "2027-06-01"), / --secret-expires 2027-06-01 /);
    const bad = runCli(["schedule", "--systemd", ...launcher, ...ids, "--secret-expires", "31.05.2027"]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'retain-m365: --secret-expires must be an ISO date such as 2027-05-31 or 2027-05-31T12:00:00Z (got "31.05.2027")\n');
  });
});

describe("schedule: input", () => {
  it("exits 2 without --systemd or --windows, with both, or with a bad time", () => {
    assert.match(runCli(["schedule", ...ids]).stderr, /schedule needs --systemd or --windows/);
    assert.equal(runCli(["schedule", "--systemd", "--windows", ...ids]).code, 2);
    const bad = runCli(["schedule", "--systemd", ...launcher, ...ids, "--at", "25:00"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--at must be a time as HH:MM \(got "25:00"\)/);
  });

  it("documents its options", () => {
    const help = runCli(["schedule", "--help"]);
    for (const option of ["--systemd", "--windows", "--stack", "--tenant-id", "--client-id", "--out", "--at", "--random-delay", "--user", "--secret-file", "--certificate", "--write-to"]) {
      assert.ok(help.stdout.includes(option), `--help lacks ${option}`);
    }
  });
});

describe("schedule: what the job starts", () => {
  it("from a checkout: this Node with this checkout's bin/retain-m365.js; from the package: the package's own launcher", () => {
    assert.deepEqual(jobCommand({}, REPOSITORY_INSTALLATION).words, [process.execPath, path.join(REPO_ROOT, "bin", "retain-m365.js")]);
    const unpacked = packageInstallation("/opt/retain-m365-sync/lib/retain-m365-sync.cjs", "linux");
    assert.deepEqual(jobCommand({}, unpacked).words, ["/opt/retain-m365-sync/bin/retain-m365"]);
    assert.deepEqual(packageInstallation("D:\\Tools\\retain-m365-sync\\lib\\retain-m365-sync.cjs", "win32"), { packageLauncher: "D:\\Tools\\retain-m365-sync\\retain-m365.cmd" });
    // A Windows job made on a Linux machine runs the package where README installs it.
    assert.deepEqual(jobCommand({ windows: true }, unpacked).words, ["C:\\Program Files\\retain-m365-sync\\retain-m365.cmd"]);
  });

  it("--windows with --node/--cli runs a checkout: Node as the command, the script as the first argument", () => {
    const result = runCli(["schedule", "--windows", ...ids, "--node", "C:\\Node 22\\node.exe", "--cli", "D:\\retain-m365\\bin\\retain-m365.js"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /<Command>C:\\Node 22\\node\.exe<\/Command>/);
    assert.match(result.stdout, /<Arguments>D:\\retain-m365\\bin\\retain-m365\.js sync --tenant-id /);
  });

  it("refuses (exit 2) a systemd job that would start something under /root or /home, which ProtectHome=yes hides", () => {
    const underRoot = runCli(["schedule", "--systemd", ...ids, "--launcher", "/root/retain-m365-sync/bin/retain-m365"]);
    assert.equal(underRoot.code, 2);
    assert.equal(
      underRoot.stderr,
      "retain-m365: --launcher: the job would start /root/retain-m365-sync/bin/retain-m365, which lies under /root, and the unit's ProtectHome=yes hides that folder from the job " +
        "(it would fail with 203/EXEC); unpack the Retain-server package to /opt/retain-m365-sync and give --launcher, or put the checkout outside /root and /home\n",
    );
    const checkout = runCli(["schedule", "--systemd", ...ids, "--node", "/usr/bin/node", "--cli", "/home/alice/retain-m365/bin/retain-m365.js"]);
    assert.equal(checkout.code, 2);
    assert.match(checkout.stderr, /^retain-m365: --node\/--cli: the job would start \/home\/alice\/retain-m365\/bin\/retain-m365\.js, which lies under \/home,/);
    assert.match(runCli(["schedule", "--systemd", ...ids, "--launcher", "retain-m365-sync/bin/retain-m365"]).stderr, /systemd needs an absolute path/);
    assert.equal(runCli(["schedule", "--systemd", ...ids, ...launcher, "--node", "/usr/bin/node"]).code, 2);
  });

  it("refuses (exit 2) a folder to write under /home; warns when something lies under /tmp, which PrivateTmp=yes replaces", () => {
    const home = runCli(["schedule", "--systemd", ...ids, ...launcher, "--out", "/home/retain/cfg"]);
    assert.equal(home.code, 2);
    assert.equal(home.stderr, "retain-m365: --out: the job would write to /home/retain/cfg, which lies under /home, and the unit's ProtectHome=yes hides that folder from the job; choose a folder elsewhere\n");
    assert.equal(runCli(["schedule", "--systemd", ...ids, ...launcher, "--out", "/srv/cfg", "--metrics-file", "/root/metrics/retain.prom"]).code, 2);
    const tmp = runCli(["schedule", "--systemd", ...ids, "--launcher", "/opt/retain-m365-sync/bin/retain-m365", "--out", "/var/tmp/cfg"]);
    assert.equal(tmp.code, 0, tmp.stderr);
    assert.equal(tmp.stderr, "warning: --out: /var/tmp/cfg lies under /var/tmp, which the unit's PrivateTmp=yes replaces with an empty folder for the job: the job will not see what is there now\n");
    assert.equal(runCli(["schedule", "--systemd", ...ids, "--launcher", "/opt/retain-m365-sync/bin/retain-m365", "--out", "/srv/cfg"]).stderr, "");
  });
});
